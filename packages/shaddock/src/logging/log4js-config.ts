import path from 'node:path';
import { type ConfigFile, isRecord, readConfigFile } from '../config/index.js';
import type { CategoryRoute } from './category-routes.js';
import type { LogLevel } from './logger.js';

/** What Pomelo's `config/log4js.json` becomes on the kernel logger. */
export interface Log4jsMapping {
  /** The file it was read from. */
  readonly file: string;
  /** Files every line goes to (`file`/`dateFile` appenders without a category). */
  readonly files: readonly string[];
  /** Per category: its level (`levels`) and files (appenders with that `category`). */
  readonly categories: Readonly<Record<string, CategoryRoute>>;
  /** The level of every category without its own (`levels["[all]"]`), if set. */
  readonly level?: LogLevel;
  /** `replaceConsole: true`: `console.log` and friends write through the logger. */
  readonly replaceConsole: boolean;
  /** What is not honoured, one sentence each, for one start-up line each. */
  readonly notices: readonly string[];
}

/** What `${opts:…}`, `${env:…}` and `${args:…}` placeholders read (pomelo-logger's scopes). */
export interface Log4jsContext {
  readonly base: string;
  readonly serverId: string;
  readonly environment?: NodeJS.ProcessEnv;
  readonly argv?: readonly string[];
}

/** log4js 0.6's level names on ours; ours are taken too. */
const LEVELS: Readonly<Record<string, LogLevel>> = {
  all: 'trace',
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  off: 'silent',
  silent: 'silent',
};

/** Our level for a log4js level name (any case), or `undefined`. */
export function log4jsLevel(name: unknown): LogLevel | undefined {
  return typeof name === 'string' && Object.hasOwn(LEVELS, name.toLowerCase())
    ? LEVELS[name.toLowerCase()]
    : undefined;
}

/** Appender options that a JSON-lines file without rotation cannot honour, and why. */
const UNAPPLIED_OPTIONS: Readonly<Record<string, string>> = {
  layout: 'lines are written as JSON (read them with `shaddock start`, or any tool that reads pino lines)',
  maxLogSize: 'files are not rotated here: rotate them with logrotate (copytruncate)',
  backups: 'files are not rotated here: rotate them with logrotate (copytruncate)',
  pattern: 'files are not rotated by date here: rotate them with logrotate',
  alwaysIncludePattern: 'files are not rotated by date here: rotate them with logrotate',
};

const KNOWN_TOP_LEVEL = new Set(['appenders', 'levels', 'replaceConsole', 'lineDebug', 'rawMessage']);

/**
 * Reads Pomelo's `config/log4js.json` (or `config/<env>/log4js.json`) and maps it with
 * {@link mapLog4jsConfig}; `undefined` when there is none, or when `POMELO_LOGGER=off` (as Pomelo).
 */
export async function readLog4jsConfig(
  env: string,
  context: Log4jsContext,
): Promise<Log4jsMapping | undefined> {
  if (context.environment?.['POMELO_LOGGER'] === 'off') return undefined;
  const loaded: ConfigFile | undefined = await readConfigFile(context.base, env, 'log4js', isEnvKeyed);
  if (loaded === undefined) return undefined;
  return mapLog4jsConfig(loaded.file, loaded.value, context);
}

/**
 * Maps Pomelo's log4js configuration (log4js 0.6's shape, as pomelo-logger reads it) onto the
 * kernel logger: `file` and `dateFile` appenders become files (`${opts:base}`, `${opts:serverId}`,
 * `${env:NAME}` and `${args:N}` replaced, relative paths under `base`) that get every line, or their
 * `category`'s lines only; `levels` set categories' levels (`"[all]"`: every category's);
 * `replaceConsole` is honoured. `console` appenders need nothing: stdout always gets every line.
 * Everything else — other appender types, layouts, rotation, unknown options — is a notice.
 */
export function mapLog4jsConfig(file: string, content: unknown, context: Log4jsContext): Log4jsMapping {
  const notices: string[] = [];
  const files: string[] = [];
  const routes = new Map<string, { level?: LogLevel; files: string[] }>();
  const route = (category: string): { level?: LogLevel; files: string[] } => {
    let found = routes.get(category);
    if (found === undefined) {
      found = { files: [] };
      routes.set(category, found);
    }
    return found;
  };
  if (!isRecord(content)) {
    return {
      file,
      files,
      categories: {},
      replaceConsole: false,
      notices: [`${file}: not an object; ignored`],
    };
  }
  for (const key of Object.keys(content)) {
    if (!KNOWN_TOP_LEVEL.has(key)) notices.push(`${file}: "${key}" is not applied`);
  }
  if (content['lineDebug'] === true)
    notices.push(`${file}: "lineDebug" is not applied (no line numbers in lines)`);

  const unapplied = new Map<string, string[]>();
  const appenders = content['appenders'];
  if (appenders !== undefined && !Array.isArray(appenders)) {
    notices.push(
      `${file}: "appenders" is not a list (log4js 2's format?); only Pomelo's log4js format is read, so no appender applies`,
    );
  }
  (Array.isArray(appenders) ? appenders : []).forEach((appender: unknown, index) => {
    const at = `appenders[${index}]`;
    if (!isRecord(appender)) {
      notices.push(`${file}: ${at} is not an object; ignored`);
      return;
    }
    const { type, filename, category, ...options } = appender;
    if (type === 'console') return;
    if (type !== 'file' && type !== 'dateFile') {
      notices.push(
        `${file}: ${at} has the appender type ${JSON.stringify(type)}, which is not supported; ignored`,
      );
      return;
    }
    if (typeof filename !== 'string' || filename === '') {
      notices.push(`${file}: ${at} has no "filename"; ignored`);
      return;
    }
    const categories = categoryList(category);
    if (categories === undefined) {
      notices.push(`${file}: ${at} has a "category" that is not a string or a list of strings; ignored`);
      return;
    }
    const target = path.resolve(
      context.base,
      replacePlaceholders(filename, context, notices, `${file}: ${at}`),
    );
    if (categories.length === 0) files.push(target);
    for (const name of categories) route(name).files.push(target);
    for (const option of Object.keys(options)) {
      const list = unapplied.get(option) ?? [];
      list.push(categories.join('+') || at);
      unapplied.set(option, list);
    }
  });
  for (const [option, where] of unapplied) {
    const reason = UNAPPLIED_OPTIONS[option] ?? 'not an option this logger knows';
    notices.push(`${file}: "${option}" is not applied (${reason}), in the appenders of ${where.join(', ')}`);
  }

  let level: LogLevel | undefined;
  const levels = content['levels'];
  if (levels !== undefined && !isRecord(levels)) notices.push(`${file}: "levels" is not an object; ignored`);
  for (const [category, name] of Object.entries(isRecord(levels) ? levels : {})) {
    const mapped = log4jsLevel(name);
    if (mapped === undefined) {
      notices.push(`${file}: levels.${category} ${JSON.stringify(name)} is not a log4js level; ignored`);
    } else if (category === '[all]') {
      level = mapped;
    } else {
      route(category).level = mapped;
    }
  }
  const categories = Object.fromEntries(
    [...routes].map(([name, found]) => [
      name,
      { files: found.files, ...(found.level === undefined ? {} : { level: found.level }) },
    ]),
  );
  return {
    file,
    files,
    categories,
    ...(level === undefined ? {} : { level }),
    replaceConsole: content['replaceConsole'] === true,
    notices,
  };
}

/** `${scope:name}` or `${scope:name:default}`, as pomelo-logger replaces them. */
function replacePlaceholders(text: string, context: Log4jsContext, notices: string[], where: string): string {
  return text.replace(/\$\{(.*?)\}/g, (whole, inner: string) => {
    const [scope, name = '', fallback] = inner.split(':');
    let value: string | undefined;
    if (scope === 'opts')
      value = name === 'base' ? context.base : name === 'serverId' ? context.serverId : undefined;
    else if (scope === 'env') value = (context.environment ?? process.env)[name];
    else if (scope === 'args') value = (context.argv ?? process.argv)[Number(name)];
    else return whole;
    value ??= fallback;
    if (value === undefined) {
      notices.push(`${where}: ${whole} has no value here; written as ""`);
      return '';
    }
    return value;
  });
}

/** `[]` for none, the names, or `undefined` for a malformed one. */
function categoryList(category: unknown): string[] | undefined {
  if (category === undefined) return [];
  if (typeof category === 'string') return [category];
  if (Array.isArray(category) && category.every((name) => typeof name === 'string')) return category;
  return undefined;
}

/** A log4js file keyed by environment: an object of objects, none of log4js's own keys. */
function isEnvKeyed(content: unknown): boolean {
  if (!isRecord(content) || Object.keys(content).some((key) => KNOWN_TOP_LEVEL.has(key))) return false;
  const values = Object.values(content);
  return values.length > 0 && values.every(isRecord);
}
