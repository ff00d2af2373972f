// The chat page in a real browser: Debian's Chromium (never a downloaded one), driven by
// playwright-core, against the built cluster on free ports. Three people log into one room from
// three browser contexts (separate profiles, as separate browsers): ann on one connector, bob on
// the other, carol beside bob. They see each other, talk to the room, ann writes privately to bob
// (carol must not see it), bob closes his page and the others see him leave. Then a connector is
// killed (SIGKILL) under a page: the page reconnects through the gate to the other connector and
// enters its room again with no click. Screenshots of each step go to
// .artifacts/screenshots/chat-browser/ at the repository root (git-ignored).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHROMIUM, CHROMIUM_ARGS } from '@shaddock/test-support';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { queryEntry } from '../src/web/chat-room.js';
import { alive, type ChatCluster, startChatCluster } from './chat-cluster.js';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../../.artifacts/screenshots/chat-browser/', import.meta.url));
/** A guard for each wait on the page, never an assertion on time. */
const PATIENCE = { timeout: 15_000, interval: 50 };
/** The guard on a page being back after its connector's death: a few seconds are expected. */
const RECOVERY = { timeout: 10_000, interval: 50 };

const installed = existsSync(CHROMIUM);
const inCi = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false';
if (!installed && !inCi) {
  console.warn(
    `browser.test.ts: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it and fails without it)`,
  );
}

/** Bundles the page (scripts/bundle-page.js, which `tsc -b` does not run) when dist/public/ is missing or older than src/web/. */
async function bundlePageIfStale(): Promise<void> {
  const built = join(EXAMPLE, 'dist', 'public', 'chat.js');
  const source = join(EXAMPLE, 'src', 'web');
  const newest = Math.max(...readdirSync(source).map((file) => statSync(join(source, file)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  await promisify(execFile)(process.execPath, ['scripts/bundle-page.js'], { cwd: EXAMPLE });
}

/** The pids of every process below `root` whose command name starts with "chrom" (the browser and its helpers). */
function chromiumBelow(root: number): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
    } catch {
      // gone meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let parent = parents.get(pid); parent !== undefined && parent > 1; parent = parents.get(parent)) {
      if (parent === root) return true;
    }
    return false;
  };
  return [...names].filter(([pid, name]) => name.startsWith('chrom') && below(pid)).map(([pid]) => pid);
}

/** What the page shows in its message list, each line without its time: "ann hello", "bob joined". */
type Line = { kind: string; text: string };

function linesOf(page: Page): Promise<Line[]> {
  return page.locator('#messages li').evaluateAll((items) =>
    items.map((item) => {
      const time = item.querySelector('time')?.textContent ?? '';
      return { kind: item.className, text: (item.textContent ?? '').slice(time.length).trim() };
    }),
  );
}

function usersOf(page: Page): Promise<string[]> {
  return page.locator('#users li').allTextContents();
}

/** A page of its own browser context, recording the WebSockets it opens and any error it logs. */
interface Person {
  readonly name: string;
  readonly page: Page;
  readonly sockets: string[];
  readonly errors: string[];
}

async function open(browser: Browser, name: string, url: string): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  const person: Person = { name, page, sockets: [], errors: [] };
  page.on('websocket', (socket) => person.sockets.push(socket.url()));
  page.on('pageerror', (error) => person.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') person.errors.push(message.text());
  });
  await page.goto(url);
  return person;
}

async function enter(person: Person, rid: string, screenshot?: string): Promise<void> {
  const { page } = person;
  await page.locator('#username').fill(person.name);
  await page.locator('#room').fill(rid);
  if (screenshot !== undefined) await shoot(person, screenshot);
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.locator('#status.online').waitFor();
  expect(await page.locator('#login').isHidden()).toBe(true);
  expect(await page.locator('#room-name').textContent()).toBe(`#${rid}`);
}

async function say(person: Person, text: string): Promise<void> {
  await person.page.locator('#text').fill(text);
  await person.page.locator('#text').press('Enter');
}

async function shoot(person: Person, step: string): Promise<void> {
  await person.page.screenshot({ path: join(SCREENSHOTS, `${step}-${person.name}.png`) });
}

/** The connector port of the page's last WebSocket (the first one goes to the gate). */
function connectorPortOf(person: Person): number {
  return Number(new URL(person.sockets.at(-1) ?? 'ws://none').port);
}

/** Names by the gate's own answer (a consistent hash of the name over the connectors), asked with the page's own queryEntry. */
function namesOf(cluster: ChatCluster) {
  const portOf = async (name: string): Promise<number> => (await queryEntry(cluster.gate, name)).port;
  const nameOn = async (prefix: string, accept: (port: number) => boolean): Promise<string> => {
    for (let index = 0; index < 64; index++) {
      const name = index === 0 ? prefix : `${prefix}-${index}`;
      if (accept(await portOf(name))) return name;
    }
    throw new Error(`no name ${prefix}-… lands on the wanted connector`);
  };
  return { portOf, nameOn };
}

/**
 * Runs `steps` against a fresh cluster and Chromium, then closes both and checks that no
 * process of either is left.
 */
async function inChromium(steps: (cluster: ChatCluster, browser: Browser) => Promise<void>): Promise<void> {
  if (!installed) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: the browser test needs Debian's (apt-get install chromium), which .ci/run installs`,
    );
  }
  await bundlePageIfStale();
  mkdirSync(SCREENSHOTS, { recursive: true });
  const cluster = await startChatCluster();
  let browser: Browser | undefined;
  const chromiumPids = new Set<number>();
  let killed: number[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    await steps(cluster, browser);
  } finally {
    for (const pid of chromiumBelow(process.pid)) chromiumPids.add(pid);
    try {
      await browser?.close();
    } finally {
      killed = await cluster.stop();
    }
  }
  expect(chromiumPids.size).toBeGreaterThan(0);
  expect([...chromiumPids].filter(alive)).toEqual([]);
  expect(killed).toEqual([]);
  expect(cluster.pids.filter(alive)).toEqual([]);
}

describe('the chat page in Chromium', () => {
  it.skipIf(!installed && !inCi)(
    'shows two users on different connectors to each other, their room and private messages, and one leaving',
    () =>
      inChromium(async (cluster, browser) => {
        const rid = 'lobby';
        const { portOf, nameOn } = namesOf(cluster);
        const ann = 'ann';
        const annPort = await portOf(ann);
        const bob = await nameOn('bob', (port) => port !== annPort);
        const bobPort = await portOf(bob);
        const carol = await nameOn('carol', (port) => port === bobPort);

        const annPage = await open(browser, ann, cluster.web);
        await enter(annPage, rid, '01-login');
        // Your own name is marked, and not offered as a private target, as soon as you are in.
        expect(await usersOf(annPage.page), 'the page marks its own user as soon as it enters').toEqual([
          `${ann} (you)`,
        ]);
        expect(await annPage.page.locator('#target option').allTextContents()).toEqual(['Everyone']);

        const bobPage = await open(browser, bob, cluster.web);
        await enter(bobPage, rid);
        // Each page went through the gate, then to the connector the gate named: two different ones.
        expect(annPage.sockets.map((url) => Number(new URL(url).port))).toEqual([cluster.gate.port, annPort]);
        expect(bobPage.sockets.map((url) => Number(new URL(url).port))).toEqual([cluster.gate.port, bobPort]);
        expect(connectorPortOf(bobPage)).not.toBe(connectorPortOf(annPage));

        await expect.poll(() => usersOf(bobPage.page), PATIENCE).toEqual([`${ann}`, `${bob} (you)`]);
        expect(await bobPage.page.locator('#target option').allTextContents()).toEqual([
          'Everyone',
          `Only ${ann}`,
        ]);
        await expect.poll(() => usersOf(annPage.page), PATIENCE).toEqual([`${ann} (you)`, bob]);
        await expect
          .poll(() => linesOf(annPage.page), PATIENCE)
          .toContainEqual({ kind: 'system', text: `${bob} joined` });
        await shoot(annPage, '02-together');
        await shoot(bobPage, '02-together');

        const carolPage = await open(browser, carol, cluster.web);
        await enter(carolPage, rid);
        expect(connectorPortOf(carolPage)).toBe(connectorPortOf(bobPage));
        for (const person of [annPage, bobPage]) {
          await expect
            .poll(() => linesOf(person.page), PATIENCE)
            .toContainEqual({ kind: 'system', text: `${carol} joined` });
        }

        // To the room, from each connector.
        await say(annPage, 'hello, room');
        await say(bobPage, 'hi ann');
        for (const person of [annPage, bobPage, carolPage]) {
          await expect
            .poll(() => linesOf(person.page), PATIENCE)
            .toEqual(
              expect.arrayContaining([
                { kind: 'public', text: `${ann} hello, room` },
                { kind: 'public', text: `${bob} hi ann` },
              ]),
            );
        }

        // Privately: ann clicks bob's name in her list, then writes.
        await annPage.page.locator('#users').getByRole('button', { name: bob, exact: true }).click();
        expect(await annPage.page.locator('#target').inputValue()).toBe(bob);
        await say(annPage, 'psst, just you');
        const whisper = { kind: 'private', text: `${ann} → ${bob} (private) psst, just you` };
        await expect.poll(() => linesOf(bobPage.page), PATIENCE).toContainEqual(whisper);
        await expect.poll(() => linesOf(annPage.page), PATIENCE).toContainEqual(whisper);
        // carol shares bob's connector, whose pushes keep their order: once she has the room
        // message sent after the private one, she would have had the private one too.
        await annPage.page.locator('#target').selectOption('*');
        await say(annPage, 'back to everyone');
        await expect
          .poll(() => linesOf(carolPage.page), PATIENCE)
          .toContainEqual({ kind: 'public', text: `${ann} back to everyone` });
        const carolSees = (await linesOf(carolPage.page)).map((line) => line.text).join('\n');
        expect(carolSees).not.toContain('psst');
        expect((await linesOf(bobPage.page)).filter((line) => line.kind === 'private')).toEqual([whisper]);
        for (const person of [annPage, bobPage, carolPage]) await shoot(person, '03-talk');

        // bob closes his page: the others see him leave.
        await bobPage.page.context().close();
        for (const person of [annPage, carolPage]) {
          await expect
            .poll(() => usersOf(person.page), PATIENCE)
            .toEqual(person === annPage ? [`${ann} (you)`, carol] : [ann, `${carol} (you)`]);
          await expect
            .poll(() => linesOf(person.page), PATIENCE)
            .toContainEqual({ kind: 'system', text: `${bob} left` });
        }
        expect(await annPage.page.locator('#target option').allTextContents()).toEqual([
          'Everyone',
          `Only ${carol}`,
        ]);
        await shoot(annPage, '04-left');

        for (const person of [annPage, bobPage, carolPage]) expect(person.errors).toEqual([]);
      }),
    90_000,
  );

  it.skipIf(!installed && !inCi)(
    'reconnects a page whose connector is killed through the other one, back in its room with no click',
    () =>
      inChromium(async (cluster, browser) => {
        const rid = 'crash';
        const { portOf, nameOn } = namesOf(cluster);
        const ann = 'ann';
        const annPort = await portOf(ann);
        const bob = await nameOn('bob', (port) => port !== annPort);
        const annPage = await open(browser, ann, cluster.web);
        await enter(annPage, rid);
        const bobPage = await open(browser, bob, cluster.web);
        await enter(bobPage, rid);
        const bobPort = connectorPortOf(bobPage);
        expect(bobPort).not.toBe(annPort);
        await expect.poll(() => usersOf(annPage.page), PATIENCE).toEqual([`${ann} (you)`, bob]);

        // kill -9 bob's connector: no goodbye to anyone.
        const connector = cluster.servers.find((server) => server.clientPort === bobPort);
        const pid = cluster.pidOf(connector?.id ?? '');
        expect(pid).toBeDefined();
        process.kill(pid ?? 0, 'SIGKILL');

        // bob's page finds the live connector through the gate and enters the room again by itself.
        await expect
          .poll(() => linesOf(bobPage.page), RECOVERY)
          .toContainEqual({ kind: 'system', text: `reconnected: back in ${rid}` });
        await bobPage.page.locator('#status.online').waitFor(RECOVERY);
        expect(await bobPage.page.locator('#status').textContent()).toBe('online');
        expect(connectorPortOf(bobPage)).toBe(annPort);
        expect(await bobPage.page.locator('#rejoin').isHidden()).toBe(true);
        expect(await bobPage.page.locator('#room-name').textContent()).toBe(`#${rid}`);
        const bobLines = await linesOf(bobPage.page);
        expect(bobLines).toContainEqual({ kind: 'system', text: 'connection lost: reconnecting…' });
        expect(bobLines.filter((line) => line.text.startsWith('offline'))).toEqual([]);
        await expect.poll(() => usersOf(bobPage.page), PATIENCE).toEqual([ann, `${bob} (you)`]);
        // ann saw bob leave with his connector, and come back.
        await expect
          .poll(() => linesOf(annPage.page), PATIENCE)
          .toEqual(
            expect.arrayContaining([
              { kind: 'system', text: `${bob} left` },
              { kind: 'system', text: `${bob} joined` },
            ]),
          );
        await expect.poll(() => usersOf(annPage.page), PATIENCE).toEqual([`${ann} (you)`, bob]);
        await shoot(bobPage, '05-reconnected');

        // The two pages talk again, both on the surviving connector.
        await say(bobPage, 'still here');
        await say(annPage, 'welcome back');
        for (const person of [annPage, bobPage]) {
          await expect
            .poll(() => linesOf(person.page), PATIENCE)
            .toEqual(
              expect.arrayContaining([
                { kind: 'public', text: `${bob} still here` },
                { kind: 'public', text: `${ann} welcome back` },
              ]),
            );
        }
        expect(annPage.errors).toEqual([]);
        expect(bobPage.errors).toEqual([]);
      }),
    90_000,
  );
});
