// Writes test-results.json in the shape the project's test summary (scripts/test-summary.mjs)
// adds up: passed, failed and skipped counts, and each test's name, outcome and first error line.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FullConfig, FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/** Counts each test's final outcome into test-results.json. */
export default class SummaryReporter implements Reporter {
  private file = 'test-results.json';
  private readonly tests = new Map<TestCase, { name: string; status: string; error?: string }>();

  /** Puts test-results.json beside playwright.config.ts. */
  onBegin(config: FullConfig): void {
    if (config.configFile) this.file = join(dirname(config.configFile), 'test-results.json');
  }

  /** Records a test's outcome (its last attempt's, under retries). */
  onTestEnd(test: TestCase, result: TestResult): void {
    const name = test.titlePath().slice(2).join(' › ');
    this.tests.set(test, { name, status: result.status, error: result.error?.message?.split('\n')[0] });
  }

  /** Writes the counts; a run that failed outside any test (the server, a hook) counts as one failure. */
  onEnd(result: FullResult): void {
    const all = [...this.tests.entries()];
    const passed = all.filter(([t]) => t.outcome() === 'expected' || t.outcome() === 'flaky').length;
    const failed = all.filter(([t]) => t.outcome() === 'unexpected').length;
    const skipped = all.filter(([t]) => t.outcome() === 'skipped').length;
    const extra = result.status !== 'passed' && failed === 0 ? 1 : 0;
    const out = {
      numPassedTests: passed,
      numFailedTests: failed + extra,
      numPendingTests: skipped,
      tests: all.map(([t, r]) => ({
        name: r.name,
        ok: t.outcome() === 'expected' || t.outcome() === 'flaky',
        status: r.status,
        error: r.error,
      })),
    };
    writeFileSync(this.file, `${JSON.stringify(out, null, 2)}\n`);
  }
}
