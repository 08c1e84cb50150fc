/**
 * The command-line XMTP client on the src/protocol core, with the libxmtp peer's contract
 * (interop/libxmtp-peer.mjs, shared/tools/libxmtp-peer/README.md): same commands, options, JSON
 * field names, exit codes and `identity.json`, so one script can drive either client. Node only.
 *
 *   npm run -s cli -- [--api URL] --state DIR [--sync] [--log LEVEL] <command> [args]
 *
 * State folder: `identity.json` ({privateKey, address}: a viem EOA key, mode 0600) and
 * `client.sqlite` (the client Store: installation keys, key packages, groups, messages). Copying
 * identity.json alone into a new folder and running `init` makes a second installation of the inbox.
 * Output: one JSON object on stdout per command; errors on stderr as `cli: error: …`.
 * Exit codes: 0 ok, 1 `wait-message` timed out, 2 any error or usage problem.
 */
import { runCli } from './commands.js';

// exit at once: the HTTP client's keep-alive sockets would otherwise hold the process open
void runCli(process.argv.slice(2)).then((code) => process.exit(code));
