// Imported first by main.ts: TensorFlow.js prints a banner recommending its native Node backend
// (when it loads and when a backend first starts). Only that banner is dropped; everything
// else reaches the console.
const BANNER = /looks like you are running TensorFlow\.js in Node\.js|^\s*=+\s*$/;

for (const level of ['log', 'warn', 'info'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && BANNER.test(args[0])) return;
    original(...args);
  };
}
