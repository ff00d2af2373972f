import { describe, expect, it } from 'vitest';
import { LoginGuard, type LoginLimits } from './login-guard.js';
import type { SecurityLog } from './security-log.js';

const limits: LoginLimits = { maxFailures: 3, lockoutMs: 60_000, baseDelayMs: 20, maxDelayMs: 50 };

function recorder(): SecurityLog & { keys: string[] } {
  const keys: string[] = [];
  return Object.assign((key: string) => keys.push(key), { flush: () => {}, keys });
}

describe('LoginGuard', () => {
  it('waits longer after each failure, then locks the source out, the right answer included', async () => {
    const log = recorder();
    const guard = new LoginGuard(limits, log);
    const took: number[] = [];
    for (let index = 0; index < 3; index++) {
      const started = performance.now();
      expect(await guard.attempt('10.0.0.1', 'admin', () => undefined)).toEqual({
        ok: false,
        reason: 'wrong username or password',
      });
      took.push(performance.now() - started);
    }
    expect(took[1]).toBeGreaterThanOrEqual(15);
    expect(took[2]).toBeGreaterThanOrEqual(35);
    let checked = false;
    const locked = await guard.attempt('10.0.0.1', 'admin', () => {
      checked = true;
      return 'user';
    });
    expect(locked).toMatchObject({ ok: false, reason: expect.stringMatching(/locked out for 60 s more/) });
    expect(checked).toBe(false);
    // another source is not concerned
    expect(await guard.attempt('10.0.0.2', 'admin', () => 'user')).toEqual({ ok: true, value: 'user' });
    expect(log.keys.filter((key) => key === 'admin:failed-login')).toHaveLength(3);
    expect(log.keys.filter((key) => key === 'admin:lockout:10.0.0.1')).toHaveLength(1);
  });

  it('forgets the failures after a success, and after the lockout period', async () => {
    let now = 1_000_000;
    const guard = new LoginGuard({ ...limits, baseDelayMs: 0 }, recorder(), () => now);
    await guard.attempt('a', 'u', () => undefined);
    await guard.attempt('a', 'u', () => undefined);
    expect(await guard.attempt('a', 'u', () => 1)).toEqual({ ok: true, value: 1 });
    await guard.attempt('a', 'u', () => undefined);
    await guard.attempt('a', 'u', () => undefined);
    expect((await guard.attempt('a', 'u', () => 1)).ok).toBe(true);
    for (let index = 0; index < 3; index++) await guard.attempt('a', 'u', () => undefined);
    expect((await guard.attempt('a', 'u', () => 1)).ok).toBe(false);
    now += 60_001;
    expect(await guard.attempt('a', 'u', () => 1)).toEqual({ ok: true, value: 1 });
  });

  it('checks the attempts of one source one at a time, and refuses a crowd', async () => {
    const guard = new LoginGuard({ ...limits, maxFailures: 100 }, recorder());
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        guard.attempt('b', 'u', () => {
          running++;
          most = Math.max(most, running);
          running--;
          return undefined;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(results.filter((result) => !result.ok && /in progress/.test(result.reason))).toHaveLength(4);
  });
});
