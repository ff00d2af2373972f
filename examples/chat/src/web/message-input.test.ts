import { describe, expect, it } from 'vitest';
import { parseInput } from './message-input.js';

describe('parseInput', () => {
  it('sends plain text to the selected target, the room by default', () => {
    expect(parseInput('  hello  ')).toEqual({ kind: 'send', target: '*', content: 'hello' });
    expect(parseInput('hello', 'bob')).toEqual({ kind: 'send', target: 'bob', content: 'hello' });
  });

  it('reads /w name text as a private message, whatever is selected', () => {
    expect(parseInput('/w bob hi there', '*')).toEqual({ kind: 'send', target: 'bob', content: 'hi there' });
    expect(parseInput('/msg ann  two\nlines ', 'bob')).toEqual({
      kind: 'send',
      target: 'ann',
      content: 'two\nlines',
    });
  });

  it('explains a command it cannot read', () => {
    expect(parseInput('/w bob')).toEqual({ kind: 'problem', problem: 'write /w name text' });
    expect(parseInput('/shout hi')).toMatchObject({ kind: 'problem' });
    expect(parseInput('x'.repeat(501))).toMatchObject({ kind: 'problem' });
  });

  it('ignores blank input', () => {
    expect(parseInput(' \n ')).toEqual({ kind: 'empty' });
  });
});
