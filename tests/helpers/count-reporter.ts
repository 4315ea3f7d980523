// Prints, after vitest's own summary, how many tests ran in each runtime
// (project) and a closing `total: N passed, N failed` line.
import type { Reporter, TestModule } from 'vitest/node';

export class CountReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = new Map<string, { passed: number; failed: number; skipped: number }>();
    for (const mod of modules) {
      const name = mod.project.name || 'default';
      const c = counts.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      for (const t of mod.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') c.passed++;
        else if (state === 'failed') c.failed++;
        else c.skipped++;
      }
      // A module that failed to load has no tests but must count as a failure.
      if (mod.state() === 'failed' && !mod.children.size) c.failed++;
      counts.set(name, c);
    }
    const total = { passed: 0, failed: 0, skipped: 0 };
    const lines = ['', 'tests per runtime:'];
    for (const [name, c] of [...counts].sort()) {
      lines.push(`${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
      total.passed += c.passed;
      total.failed += c.failed;
      total.skipped += c.skipped;
    }
    lines.push(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
    process.stdout.write(lines.join('\n') + '\n');
  }
}
