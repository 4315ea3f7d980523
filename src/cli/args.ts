// Command-line arguments with fastText's command names, flags and per-command
// defaults (skipgram/cbow and supervised differ in lr, minCount, minn/maxn and
// loss, as in fastText). Pure: no I/O, so it is tested in every runtime; the
// Node entry (src/cli.ts) turns a CliError into one line on stderr and exit code 2.
import { WasmNlpError } from '../core/errors.js';

/** A bad command line: the message is one line; the exit code is 2. */
export class CliError extends WasmNlpError {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export type LossName = 'ns' | 'hs' | 'softmax' | 'ova';

/** Training options of skipgram, cbow and supervised (fastText's Args). */
export interface TrainArgs {
  input: string;
  output: string;
  dim: number;
  ws: number;
  epoch: number;
  lr: number;
  minCount: number;
  minCountLabel: number;
  neg: number;
  wordNgrams: number;
  minn: number;
  maxn: number;
  bucket: number;
  thread: number;
  t: number;
  loss: LossName;
  label: string;
  lrUpdateRate: number;
  pretrainedVectors: string;
  verbose: number;
  seed: number;
  saveOutput: boolean;
}

export type TrainCommand = 'skipgram' | 'cbow' | 'supervised';
export type QueryCommand =
  | 'test'
  | 'predict'
  | 'predict-prob'
  | 'print-word-vectors'
  | 'print-sentence-vectors'
  | 'print-ngrams'
  | 'nn'
  | 'analogies';
export type Command = TrainCommand | QueryCommand;

export type Parsed =
  | { command: TrainCommand; args: TrainArgs }
  | {
      command: 'test' | 'predict' | 'predict-prob';
      model: string;
      input: string;
      k: number;
      threshold: number;
      verbose: number;
    }
  | { command: 'print-word-vectors' | 'print-sentence-vectors'; model: string }
  | { command: 'print-ngrams'; model: string; word: string }
  | { command: 'nn' | 'analogies'; model: string; k: number }
  | { command: 'help'; topic?: Command };

/** fastText's defaults for the unsupervised commands. */
const UNSUPERVISED: Omit<TrainArgs, 'input' | 'output'> = {
  dim: 100,
  ws: 5,
  epoch: 5,
  lr: 0.05,
  minCount: 5,
  minCountLabel: 0,
  neg: 5,
  wordNgrams: 1,
  minn: 3,
  maxn: 6,
  bucket: 2_000_000,
  thread: 12,
  t: 1e-4,
  loss: 'ns',
  label: '__label__',
  lrUpdateRate: 100,
  pretrainedVectors: '',
  verbose: 2,
  seed: 0,
  saveOutput: false,
};

/** What `supervised` changes (fastText: lr 0.1, minCount 1, no char n-grams, softmax). */
const SUPERVISED: Partial<TrainArgs> = { lr: 0.1, minCount: 1, minn: 0, maxn: 0, loss: 'softmax' };

/** The defaults of a training command. */
export function defaultsFor(command: TrainCommand): Omit<TrainArgs, 'input' | 'output'> {
  return command === 'supervised' ? { ...UNSUPERVISED, ...SUPERVISED } : { ...UNSUPERVISED };
}

type Kind = 'int' | 'posint' | 'float' | 'string' | 'loss' | 'bool';

const FLAGS: Record<string, { key: keyof TrainArgs; kind: Kind; help: string }> = {
  '-input': { key: 'input', kind: 'string', help: 'training file (one sentence or labelled example per line)' },
  '-output': { key: 'output', kind: 'string', help: 'output prefix: writes <output>.bin and <output>.vec' },
  '-dim': { key: 'dim', kind: 'posint', help: 'vector dimension' },
  '-ws': { key: 'ws', kind: 'posint', help: 'context window size' },
  '-epoch': { key: 'epoch', kind: 'posint', help: 'passes over the data' },
  '-lr': { key: 'lr', kind: 'float', help: 'initial learning rate (decays linearly to 0)' },
  '-minCount': { key: 'minCount', kind: 'int', help: 'drop words seen fewer times' },
  '-minCountLabel': { key: 'minCountLabel', kind: 'int', help: 'drop labels seen fewer times' },
  '-neg': { key: 'neg', kind: 'posint', help: 'negatives per positive (loss ns)' },
  '-wordNgrams': { key: 'wordNgrams', kind: 'posint', help: 'longest word n-gram (supervised)' },
  '-minn': { key: 'minn', kind: 'int', help: 'shortest character n-gram (0: none)' },
  '-maxn': { key: 'maxn', kind: 'int', help: 'longest character n-gram (0: none)' },
  '-bucket': {
    key: 'bucket',
    kind: 'int',
    help: 'hash buckets for n-grams (rows of the model: keep it small for browsers and edge functions)',
  },
  '-thread': { key: 'thread', kind: 'posint', help: 'worker threads (1 is deterministic)' },
  '-t': { key: 't', kind: 'float', help: 'subsampling threshold for frequent words' },
  '-loss': { key: 'loss', kind: 'loss', help: 'ns, hs, softmax or one-vs-all (ova)' },
  '-label': { key: 'label', kind: 'string', help: 'label prefix' },
  '-lrUpdateRate': { key: 'lrUpdateRate', kind: 'posint', help: 'tokens between learning-rate updates' },
  '-pretrainedVectors': {
    key: 'pretrainedVectors',
    kind: 'string',
    help: '.vec file to start the input vectors from (supervised)',
  },
  '-verbose': { key: 'verbose', kind: 'int', help: '0 silent, 1 summary, 2 progress line' },
  '-seed': { key: 'seed', kind: 'int', help: 'random seed' },
  '-saveOutput': { key: 'saveOutput', kind: 'bool', help: 'also save the output matrix' },
};

const TRAIN_COMMANDS: readonly TrainCommand[] = ['skipgram', 'cbow', 'supervised'];

const QUERY_USAGE: Record<QueryCommand, { usage: string; help: string }> = {
  test: {
    usage: 'test <model> <test-data> [<k>] [<th>]',
    help: 'precision and recall at k on labelled data ("-" reads stdin)',
  },
  predict: { usage: 'predict <model> <test-data> [<k>] [<th>]', help: 'the k most likely labels of each line' },
  'predict-prob': {
    usage: 'predict-prob <model> <test-data> [<k>] [<th>]',
    help: 'the k most likely labels of each line, with probabilities',
  },
  'print-word-vectors': {
    usage: 'print-word-vectors <model>',
    help: 'vectors of the words read from stdin (out-of-vocabulary words from their n-grams)',
  },
  'print-sentence-vectors': { usage: 'print-sentence-vectors <model>', help: 'one vector per line of stdin' },
  'print-ngrams': { usage: 'print-ngrams <model> <word>', help: 'the character n-grams of a word and their vectors' },
  nn: { usage: 'nn <model> [<k>]', help: 'nearest neighbours of the words read from stdin' },
  analogies: { usage: 'analogies <model> [<k>]', help: 'answers to "A B C" triples from stdin (B - A + C)' },
};

const ALL_COMMANDS: readonly Command[] = [...TRAIN_COMMANDS, ...(Object.keys(QUERY_USAGE) as QueryCommand[])];

function isCommand(s: string): s is Command {
  return (ALL_COMMANDS as readonly string[]).includes(s);
}

function parseValue(command: string, flag: string, kind: Kind, raw: string | undefined): string | number | boolean {
  if (raw === undefined) throw new CliError(`${command}: ${flag} must be followed by a value, got nothing`);
  switch (kind) {
    case 'string':
      return raw;
    case 'bool':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new CliError(`${command}: ${flag} must be true or false, got ${JSON.stringify(raw)}`);
    case 'loss': {
      const loss = raw === 'one-vs-all' ? 'ova' : raw;
      if (loss === 'ns' || loss === 'hs' || loss === 'softmax' || loss === 'ova') return loss;
      throw new CliError(`${command}: ${flag} must be one of ns, hs, softmax, one-vs-all, got ${JSON.stringify(raw)}`);
    }
    case 'float': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v) || v < 0)
        throw new CliError(`${command}: ${flag} must be a non-negative number, got ${JSON.stringify(raw)}`);
      return v;
    }
    case 'int':
    case 'posint': {
      const v = Number(raw);
      const min = kind === 'posint' ? 1 : 0;
      if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(v) || v < min) {
        throw new CliError(`${command}: ${flag} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
      }
      return v;
    }
  }
}

function parseTrain(command: TrainCommand, argv: readonly string[]): Parsed {
  const args: Record<string, unknown> = { ...defaultsFor(command), input: '', output: '' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '-help' || flag === '--help' || flag === '-h') return { command: 'help', topic: command };
    const spec = FLAGS[flag];
    if (spec === undefined) {
      throw new CliError(`${command}: unknown flag ${JSON.stringify(flag)} (see \`wasm-nlp ${command} -help\`)`);
    }
    args[spec.key] = parseValue(command, flag, spec.kind, argv[++i]);
  }
  const a = args as unknown as TrainArgs;
  if (a.input === '') throw new CliError(`${command}: -input must be given, got nothing`);
  if (a.output === '') throw new CliError(`${command}: -output must be given, got nothing`);
  if (a.maxn > 0 && a.minn > a.maxn)
    throw new CliError(`${command}: -minn must be <= -maxn (${a.maxn}), got ${a.minn}`);
  if (a.lr <= 0) throw new CliError(`${command}: -lr must be > 0, got ${a.lr}`);
  // fastText: no buckets when there is nothing to hash.
  if (a.wordNgrams <= 1 && a.maxn === 0) a.bucket = 0;
  return { command, args: a };
}

function positional(command: QueryCommand, argv: readonly string[], min: number, max: number): string[] {
  if (argv.some((a) => a === '-help' || a === '--help' || a === '-h')) return ['-help'];
  if (argv.length < min || argv.length > max) {
    throw new CliError(
      `${command}: usage: wasm-nlp ${QUERY_USAGE[command].usage}, got ${argv.length} argument${argv.length === 1 ? '' : 's'}`,
    );
  }
  return [...argv];
}

function parseK(command: string, raw: string | undefined, dflt: number): number {
  if (raw === undefined) return dflt;
  return parseValue(command, '<k>', 'posint', raw) as number;
}

function parseThreshold(command: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1)
    throw new CliError(`${command}: <th> must be a number in [0, 1], got ${JSON.stringify(raw)}`);
  return v;
}

/** Parse argv (without `node` and the script), e.g. `['skipgram', '-input', 'a.txt', '-output', 'm']`. */
export function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-help' || command === '--help' || command === 'help') {
    const topic = rest[0];
    return { command: 'help', topic: topic !== undefined && isCommand(topic) ? topic : undefined };
  }
  if (!isCommand(command)) {
    throw new CliError(`wasm-nlp: command must be one of ${ALL_COMMANDS.join(', ')}, got ${JSON.stringify(command)}`);
  }
  if ((TRAIN_COMMANDS as readonly string[]).includes(command)) return parseTrain(command as TrainCommand, rest);
  const q = command as QueryCommand;
  switch (q) {
    case 'test':
    case 'predict':
    case 'predict-prob': {
      const p = positional(q, rest, 2, 4);
      if (p[0] === '-help') return { command: 'help', topic: q };
      return {
        command: q,
        model: p[0]!,
        input: p[1]!,
        k: parseK(q, p[2], 1),
        threshold: parseThreshold(q, p[3]),
        verbose: 2,
      };
    }
    case 'print-word-vectors':
    case 'print-sentence-vectors': {
      const p = positional(q, rest, 1, 1);
      if (p[0] === '-help') return { command: 'help', topic: q };
      return { command: q, model: p[0]! };
    }
    case 'print-ngrams': {
      const p = positional(q, rest, 2, 2);
      if (p[0] === '-help') return { command: 'help', topic: q };
      return { command: q, model: p[0]!, word: p[1]! };
    }
    case 'nn':
    case 'analogies': {
      const p = positional(q, rest, 1, 2);
      if (p[0] === '-help') return { command: 'help', topic: q };
      return { command: q, model: p[0]!, k: parseK(q, p[1], 10) };
    }
  }
}

/** Help text: the command list, or one command's usage with its flags and their defaults. */
export function helpText(topic?: Command): string {
  if (topic === undefined) {
    const lines = [
      'usage: wasm-nlp <command> <args>',
      '',
      'Training (fastText-compatible flags; `wasm-nlp <command> -help` lists them with their defaults):',
      '  skipgram                 train word vectors with skip-gram',
      '  cbow                     train word vectors with continuous bag of words',
      '  supervised               train a text classifier',
      '',
      'Using a model:',
      ...(Object.keys(QUERY_USAGE) as QueryCommand[]).map((c) => `  ${c.padEnd(24)} ${QUERY_USAGE[c].help}`),
    ];
    return lines.join('\n');
  }
  if ((TRAIN_COMMANDS as readonly string[]).includes(topic)) {
    const d = defaultsFor(topic as TrainCommand) as Record<string, unknown>;
    const lines = [`usage: wasm-nlp ${topic} -input <file> -output <prefix> [flags]`, '', 'flags [default]:'];
    for (const [flag, spec] of Object.entries(FLAGS)) {
      const dv =
        spec.key === 'input' || spec.key === 'output'
          ? 'required'
          : String(spec.key === 'loss' && d.loss === 'ova' ? 'one-vs-all' : d[spec.key]);
      lines.push(`  ${flag.padEnd(20)} ${spec.help} [${dv}]`);
    }
    if (topic === 'supervised' || topic === 'skipgram' || topic === 'cbow') {
      lines.push('', 'Without word n-grams (-wordNgrams 1) and character n-grams (-maxn 0), -bucket is set to 0.');
    }
    return lines.join('\n');
  }
  const q = QUERY_USAGE[topic as QueryCommand];
  return `usage: wasm-nlp ${q.usage}\n\n${q.help}`;
}
