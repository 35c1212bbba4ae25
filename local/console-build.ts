import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Compiles the investigator console (console/src → console/dist) with the project's TypeScript:
 * `npm start` and the browser test call it, `npm run build` does the same for a deployment.
 */
export async function buildConsole(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = fileURLToPath(new URL('../console/tsconfig.json', import.meta.url));
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', project], { timeout: 120_000 });
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? '';
    throw new Error(`the console does not compile:\n${out.slice(0, 2000)}`);
  }
}
