/** Process entry for `bystander redact` (bin/bystander.mjs): runs the CLI and exits with its code. */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
