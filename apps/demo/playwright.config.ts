// The demo's end-to-end tests: the built app (`vite preview`, cross-origin isolated) in Debian's
// Chromium at /usr/bin/chromium (CHROMIUM=/path for another; no browser is downloaded). Without
// Chromium the run fails and says so (E2E=skip does not start it: see e2e/test.mjs).
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

const here = dirname(fileURLToPath(import.meta.url));
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const port = Number(process.env.E2E_PORT ?? 4173);
if (!existsSync(executablePath)) {
  // the project's test summary counts the missing browser as a failure
  writeFileSync(
    join(here, 'test-results.json'),
    `${JSON.stringify({ numPassedTests: 0, numFailedTests: 1, numPendingTests: 0, tests: [] })}\n`,
  );
  throw new Error(
    `\n*** e2e: no Chromium at ${executablePath}. Install it (apt-get install -y chromium) or set E2E=skip to leave the browser tests out. ***\n`,
  );
}

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'e2e/test-output',
  // one browser at a time: the lessons train models and time the page's answers
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  // the slowest tests train both digit models in the page
  timeout: 600_000,
  reporter: [['list'], ['./e2e/summary-reporter.ts']],
  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
  webServer: {
    cwd: here,
    command: `node node_modules/vite/bin/vite.js preview --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}/`,
    // a loaded machine starts vite slowly
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
