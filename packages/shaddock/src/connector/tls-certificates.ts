import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ConnectorTlsFiles } from './connector-config.js';

/** Reads the PEM files of `files` into TLS options. */
export async function readCertificates(files: ConnectorTlsFiles): Promise<SecureContextOptions> {
  try {
    const [key, cert, ca] = await Promise.all([
      readFile(files.key),
      readFile(files.cert),
      files.ca === undefined ? undefined : readFile(files.ca),
    ]);
    return {
      key,
      cert,
      ...(ca === undefined ? {} : { ca }),
      ...(files.passphrase === undefined ? {} : { passphrase: files.passphrase }),
    };
  } catch (cause) {
    throw new ShaddockError(
      ErrorCode.ConnectorConfigInvalid,
      `connectorConfig.ssl: cannot read the key or certificate files`,
      { cause },
    );
  }
}

const SETTLE_MS = 100;

/**
 * Watches the folders of the certificate files (a renamed-over or re-linked file is seen, as
 * certbot and Kubernetes secrets update them) and calls `apply` with the new options once the
 * files have changed and settled. A read or apply failure is reported and the old certificate stays.
 */
export function watchCertificates(
  files: ConnectorTlsFiles,
  current: SecureContextOptions,
  apply: (options: SecureContextOptions) => void,
  report: (error: unknown) => void,
): { close(): void } {
  const folders = new Set([files.key, files.cert, ...(files.ca === undefined ? [] : [files.ca])].map(dirOf));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = fingerprint(current);
  const reload = (): void => {
    timer = undefined;
    readCertificates(files).then(
      (options) => {
        const next = fingerprint(options);
        if (next === last) return;
        try {
          apply(options);
          last = next;
        } catch (error) {
          report(error);
        }
      },
      (error: unknown) => report(error),
    );
  };
  const watchers: FSWatcher[] = [];
  for (const folder of folders) {
    try {
      const watcher = watch(folder, { persistent: false }, () => {
        clearTimeout(timer);
        timer = setTimeout(reload, SETTLE_MS);
      });
      watcher.on('error', report);
      watchers.push(watcher);
    } catch (error) {
      report(error);
    }
  }
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}

function dirOf(file: string): string {
  return path.dirname(path.resolve(file));
}

function fingerprint(options: SecureContextOptions): string {
  return `${String(options.key)}\n${String(options.cert)}\n${String(options.ca ?? '')}`;
}
