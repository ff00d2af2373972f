import type { PomeloLogger } from 'shaddock';

/** pomelo-logger's `getLogger(category, ...prefixes)`: lines go through Shaddock's logger. */
export declare function getLogger(category: string, ...prefixes: unknown[]): PomeloLogger;
/** Shaddock reads config/log4js.json itself at start-up: this does nothing. */
export declare function configure(config?: unknown, options?: unknown): void;
/** `console.log` and friends write through the logger, under the category `console`. */
export declare function replaceConsole(): void;
export declare function restoreConsole(): void;
