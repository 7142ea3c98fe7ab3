// The demo's test command: the Playwright suite (arguments go on to `playwright test`), or, under
// E2E=skip, no browser test at all — none is started, so the summary counts none (an empty
// test-results.json), and the command says so.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.E2E === 'skip') {
  writeFileSync(
    join(root, 'test-results.json'),
    `${JSON.stringify({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, tests: [] })}\n`,
  );
  console.log('e2e: the browser tests were not run (E2E=skip)');
  process.exit(0);
}
const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
const run = spawnSync(process.execPath, [cli, 'test', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
