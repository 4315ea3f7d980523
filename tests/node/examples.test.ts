// The Transformer, BERT and language-model examples (spam-transformer, pos-brown, bert-brown,
// bert-finetune, lstm-lm-brown, gpt-brown, encoders)
// as users run them, in their tiny --quick configuration: each prints its report,
// writes its checkpoint and its results section, and --resume continues a run
// stopped after an epoch to the same end as a run that never stopped.
// Needs `npm run build` first (the examples import the built `wasm-nlp` and `wasm-nlp/node`).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type NodeRun, runNode } from '../helpers/node-process.js';

const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectOk(r: NodeRun): void {
  expect(r.timedOut, `timed out; stderr: ${r.stderr}`).toBe(false);
  expect(r.code, `exit code; stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
}

const run = (example: string, args: string[]) =>
  runNode([`examples/${example}.mjs`, '--quick', ...args], { timeoutMs: 60_000 });
/** The final report's accuracy line, which holds the test accuracy and loss. */
const accuracyLine = (out: string) => out.split('\n').find((l) => /^test (token )?accuracy/.test(l));

describe('examples, --quick', () => {
  test('spam-transformer: report, checkpoint, model, results section', async () => {
    const out = join(dir, 'spam');
    const results = join(dir, 'results.md');
    const r = await run('spam-transformer', ['--dir', out, '--results', results]);
    expectOk(r);
    expect(r.stdout).toMatch(/^TextClassifier: .* parameters/m);
    expect(accuracyLine(r.stdout)).toMatch(/^test accuracy \d+\.\d\d% \(/);
    expect(r.stdout).toMatch(/baseline \(majority class, ham\): \d+\.\d\d%/);
    expect(r.stdout).toMatch(/wall time .*checkpoints written: 1/);
    expect(r.stderr).toMatch(/epoch 1\/1 \[#+\] 100\.0% .* tok\/s {2}loss \d.* {2}lr .* {2}ETA/);
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    const md = readFileSync(results, 'utf8');
    expect(md).toMatch(
      /<!-- results:spam -->\n## Spam classification[^]*\*\*test accuracy\*\*[^]*<!-- \/results:spam -->/,
    );
  });

  test('pos-brown: baseline and unseen words reported; --stop-after then --resume ends as the uninterrupted run', async () => {
    const whole = join(dir, 'pos-whole');
    const parts = join(dir, 'pos-parts');
    const [a, b] = await Promise.all([
      run('pos-brown', ['--epochs', '2', '--dir', whole]),
      run('pos-brown', ['--epochs', '2', '--dir', parts, '--stop-after', '1']),
    ]);
    expectOk(a);
    expect(a.stdout).toMatch(/^most-frequent-tag baseline: test \d+\.\d\d% .* unseen words \d+\.\d\d%/m);
    expect(accuracyLine(a.stdout)).toMatch(/^test token accuracy \d+\.\d\d% .*unseen words \d+\.\d\d%/);
    expect(a.stdout).toMatch(/checkpoints written: 2/);
    expectOk(b);
    expect(b.stdout).toMatch(/stopped after epoch 1 \(--stop-after\)/);
    expect(accuracyLine(b.stdout)).toBeUndefined();
    expect(existsSync(join(parts, 'checkpoint.bin'))).toBe(true);

    const c = await run('pos-brown', ['--epochs', '2', '--dir', parts, '--resume']);
    expectOk(c);
    expect(c.stdout).toMatch(/^resuming from .*checkpoint\.bin \(epoch 1, step \d+\)/m);
    expect(accuracyLine(c.stdout)).toBe(accuracyLine(a.stdout));
    expect(existsSync(join(parts, 'model.safetensors'))).toBe(true);
  });

  test('bert-brown: held-out MLM accuracy, the model directory; --stop-after then --resume ends as the uninterrupted run; bert-finetune on it', async () => {
    const whole = join(dir, 'bert-whole');
    const parts = join(dir, 'bert-parts');
    const [a, b] = await Promise.all([
      run('bert-brown', ['--epochs', '2', '--dir', whole]),
      run('bert-brown', ['--epochs', '2', '--dir', parts, '--stop-after', '1']),
    ]);
    expectOk(a);
    const heldOut = (out: string) => out.split('\n').find((l) => l.startsWith('held-out masked-LM accuracy'));
    expect(heldOut(a.stdout)).toMatch(/valid \d+\.\d\d% .* test \d+\.\d\d% .* most-frequent-token baseline/);
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json'])
      expect(existsSync(join(whole, 'model', f))).toBe(true);
    expectOk(b);
    expect(b.stdout).toMatch(/stopped after epoch 1 \(--stop-after\)/);
    const c = await run('bert-brown', ['--epochs', '2', '--dir', parts, '--resume']);
    expectOk(c);
    expect(c.stdout).toMatch(/^vocabulary: .*vocab\.txt/m);
    expect(c.stdout).toMatch(/^resuming from .*checkpoint\.bin \(epoch 1, step \d+\)/m);
    expect(heldOut(c.stdout)).toBe(heldOut(a.stdout));

    const results = join(dir, 'ft-results.md');
    const f = await run('bert-finetune', [
      '--model',
      join(whole, 'model'),
      '--dir',
      join(dir, 'ft'),
      '--results',
      results,
      '--seeds',
      '1,2',
    ]);
    expectOk(f);
    expect(f.stdout).toMatch(/^ {2}scratch: lr [\d.e-]+ \(valid/m);
    expect(f.stdout).toMatch(/^genre: from scratch \d+\.\d\d% .* pre-trained \d+\.\d\d%/m);
    expect(f.stdout).toMatch(/^pos: from scratch \d+\.\d\d% .* pre-trained \d+\.\d\d%/m);
    expect(readFileSync(results, 'utf8')).toMatch(
      /<!-- results:bert-finetune -->[^]*\| lr scratch \/ pre-trained \|[^]*<!-- \/results:bert-finetune -->/,
    );
    // run again: every run is found in the results files, none is trained twice
    const g = await run('bert-finetune', [
      '--model',
      join(whole, 'model'),
      '--dir',
      join(dir, 'ft'),
      '--results',
      '',
      '--seeds',
      '1,2',
    ]);
    expectOk(g);
    expect(g.stdout.match(/done already/g)).toHaveLength(8);
    // other pre-trained weights of the same architecture and vocabulary: the from-scratch runs are reused, the pre-trained ones rerun
    const other = join(dir, 'bert-other');
    cpSync(join(whole, 'model'), other, { recursive: true });
    const st = readFileSync(join(other, 'model.safetensors'));
    st[st.length - 1] = st[st.length - 1]! ^ 1;
    writeFileSync(join(other, 'model.safetensors'), st);
    const h = await run('bert-finetune', [
      '--model',
      other,
      '--dir',
      join(dir, 'ft'),
      '--results',
      '',
      '--seeds',
      '1,2',
    ]);
    expectOk(h);
    expect(h.stdout).toMatch(/genre: 2 pre-trained run\(s\) of other weights dropped \(from-scratch runs kept\)/);
    expect(h.stdout.match(/^ {2}scratch seed \d lr [\d.e-]+: done already/gm)).toHaveLength(4);
    expect(h.stdout.match(/^ {2}pretrained seed \d lr [\d.e-]+: valid/gm)).toHaveLength(4);
  }, 180_000);

  test('lstm-lm-brown: test perplexity and results section; --stop-after then --resume ends as the uninterrupted run', async () => {
    const whole = join(dir, 'lstm-whole');
    const parts = join(dir, 'lstm-parts');
    const results = join(dir, 'lstm-results.md');
    const [a, b] = await Promise.all([
      run('lstm-lm-brown', ['--dir', whole, '--results', results]),
      run('lstm-lm-brown', ['--dir', parts, '--results', '', '--stop-after', '1']),
    ]);
    expectOk(a);
    /** The test perplexity figure of the final report (the rest of its line holds times). */
    const ppl = (out: string) => /^test perplexity (\d+\.\d) \(batch \d+\)/m.exec(out)?.[1];
    expect(ppl(a.stdout)).toBeDefined();
    expect(readFileSync(results, 'utf8')).toMatch(/<!-- results:lstm-lm -->[^]*<!-- \/results:lstm-lm -->/);
    expectOk(b);
    expect(b.stdout).toMatch(/stopped after epoch 1/);
    expect(ppl(b.stdout)).toBeUndefined();
    const c = await run('lstm-lm-brown', ['--dir', parts, '--results', '', '--resume']);
    expectOk(c);
    expect(ppl(c.stdout)).toBe(ppl(a.stdout));
  }, 180_000);

  test('gpt-brown: test perplexity, results section and samples; --stop-after then --resume ends as the uninterrupted run', async () => {
    const whole = join(dir, 'gpt-whole');
    const parts = join(dir, 'gpt-parts');
    const results = join(dir, 'gpt-results.md');
    const [a, b] = await Promise.all([
      run('gpt-brown', ['--dir', whole, '--results', results]),
      run('gpt-brown', ['--dir', parts, '--results', '', '--stop-after', '1']),
    ]);
    expectOk(a);
    const ppl = (out: string) => /^test perplexity (\d+\.\d); wall time/m.exec(out)?.[1];
    expect(ppl(a.stdout)).toBeDefined();
    expect(a.stdout).toMatch(/^\| GptLM \(/m);
    expect(a.stdout).toMatch(/^samples \(temperature 0\.8, seeded\):/m);
    expect(readFileSync(results, 'utf8')).toMatch(/<!-- results:gpt -->[^]*GptLM[^]*<!-- \/results:gpt -->/);
    expect(existsSync(join(whole, 'model.safetensors'))).toBe(true);
    expectOk(b);
    expect(b.stdout).toMatch(/stopped after epoch 1/);
    expect(ppl(b.stdout)).toBeUndefined();
    const c = await run('gpt-brown', ['--dir', parts, '--results', '', '--resume']);
    expectOk(c);
    expect(ppl(c.stdout)).toBe(ppl(a.stdout));
  }, 180_000);

  test('encoders: each encoder on each task, the table chosen on validation, re-runs reuse finished runs', async () => {
    const out = join(dir, 'encoders');
    const results = join(dir, 'encoders-results.md');
    const a = await run('encoders', ['--dir', out, '--results', results, '--lrs', '0.002,0.005']);
    expectOk(a);
    for (const task of ['spam', 'pos', 'genre'])
      for (const enc of ['Transformer', 'BiLSTM', 'BiGRU', 'CNN'])
        expect(a.stdout).toMatch(new RegExp(`^${task} / ${enc} / lr 0\\.005: [\\d,]+ parameters`, 'm'));
    const md = readFileSync(results, 'utf8');
    const rows = md.split('\n').filter((l) => /^\| (spam|pos|genre) \| /.test(l));
    expect(rows).toHaveLength(12);
    // the chosen run of each row is the one with the best validation accuracy
    for (const r of rows) {
      const valid = [...r.matchAll(/0\.00[25]: (\d+\.\d\d)%/g)].map((m) => Number(m[1]));
      expect(valid).toHaveLength(2);
    }
    expect(rows.find((r) => r.startsWith('| pos | BiLSTM'))).toMatch(/\(unseen \d+\.\d\d%\)/);
    const b = await run('encoders', ['--dir', out, '--results', '', '--lrs', '0.002,0.005', '--task', 'genre']);
    expectOk(b);
    expect(b.stdout.match(/: done before/g)).toHaveLength(8);
  }, 180_000);
});
