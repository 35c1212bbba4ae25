import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';

/** The Debian `chromium` package, driven by playwright-core (the browser tests). */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * Without the browser: a failing test when CI requires it (BYSTANDER_REQUIRE_BROWSER=1, set by
 * .ci/run), else a warning that the suite is skipped.
 */
export function guardBrowser(suite: string): void {
  if (hasChromium) return;
  if (process.env.BYSTANDER_REQUIRE_BROWSER === '1') {
    describe(suite, () => {
      it('needs /usr/bin/chromium (BYSTANDER_REQUIRE_BROWSER=1)', () => {
        expect.fail(`${CHROMIUM} is missing; .ci/run installs the Debian chromium package before npm test`);
      });
    });
  } else {
    console.warn(`\n[${suite}] SKIPPED: ${CHROMIUM} not found. Install the Debian package (apt-get install -y chromium) to run it; CI (.ci/run) always installs it.\n`);
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
}

/** Polls `fn` from the test (not from a page script) until `ok`, or fails naming what it waited for. */
export async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
