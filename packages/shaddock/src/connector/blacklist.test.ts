import { describe, expect, it } from 'vitest';
import { IpBlacklist } from './blacklist.js';

describe('IpBlacklist', () => {
  it('matches exact addresses, patterns, and IPv4-mapped IPv6 forms', () => {
    const blacklist = new IpBlacklist(['192.168.1.1', '^10\\.0\\.', /^172\.16\./g]);
    expect(blacklist.has('192.168.1.1')).toBe(true);
    expect(blacklist.has('::ffff:192.168.1.1')).toBe(true);
    expect(blacklist.has('192.168.1.10')).toBe(false);
    expect(blacklist.has('10.0.3.4')).toBe(true);
    expect(blacklist.has('172.16.0.1')).toBe(true);
    expect(blacklist.has('172.16.0.1')).toBe(true);
    expect(blacklist.has('127.0.0.1')).toBe(false);
  });

  it('adds and deletes at run time; patterns stay', () => {
    const blacklist = new IpBlacklist(['^10\\.']);
    expect(blacklist.empty).toBe(false);
    blacklist.add('::ffff:127.0.0.1');
    expect(blacklist.has('127.0.0.1')).toBe(true);
    expect(blacklist.delete('127.0.0.1')).toBe(true);
    expect(blacklist.has('127.0.0.1')).toBe(false);
    expect(blacklist.delete('10.1.1.1')).toBe(false);
    expect(blacklist.has('10.1.1.1')).toBe(true);
    expect(new IpBlacklist().empty).toBe(true);
  });
});
