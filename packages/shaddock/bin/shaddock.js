#!/usr/bin/env node
// The `shaddock` command: the compiled CLI (run `npm run build` first when working from a checkout).
import { runCli } from '../dist/cli/index.js';

process.exitCode = await runCli(process.argv.slice(2));
