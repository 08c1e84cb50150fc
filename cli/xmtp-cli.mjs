#!/usr/bin/env node
// `xmtp-cli` (the package bin): runs cli/main.ts through tsx's loader in this process.
// Same as `npm run -s cli -- …`; see cli/main.ts for the commands.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./main.ts', import.meta.url).href);
