import { describe, expect, it } from 'vitest';
import { nextMemberPosition, type MemberPosition } from './memberKeyboard';

// Groups of 4, 2, 3 and 2 members.
const SIZES = [4, 2, 3, 2];
const press = (key: string, from: MemberPosition, ctrlKey = false, sizes = SIZES) =>
  nextMemberPosition({ key, ctrlKey }, from, sizes, 2);

describe('nextMemberPosition', () => {
  it('moves within a group with ←/→ and stops at its ends', () => {
    expect(press('ArrowRight', { group: 0, member: 0 })).toEqual({ group: 0, member: 1 });
    expect(press('ArrowRight', { group: 0, member: 3 })).toEqual({ group: 0, member: 3 });
    expect(press('ArrowLeft', { group: 2, member: 2 })).toEqual({ group: 2, member: 1 });
    expect(press('ArrowLeft', { group: 2, member: 0 })).toEqual({ group: 2, member: 0 });
  });

  it('moves between groups with ↑/↓, into the last member of a shorter group', () => {
    expect(press('ArrowDown', { group: 0, member: 1 })).toEqual({ group: 1, member: 1 });
    expect(press('ArrowDown', { group: 0, member: 3 })).toEqual({ group: 1, member: 1 });
    expect(press('ArrowUp', { group: 2, member: 2 })).toEqual({ group: 1, member: 1 });
    expect(press('ArrowUp', { group: 0, member: 2 })).toEqual({ group: 0, member: 2 });
    expect(press('ArrowDown', { group: 3, member: 1 })).toEqual({ group: 3, member: 1 });
  });

  it('jumps groupsPerPage groups with Page Up/Down, clamped to the list', () => {
    expect(press('PageDown', { group: 0, member: 0 })).toEqual({ group: 2, member: 0 });
    expect(press('PageDown', { group: 2, member: 2 })).toEqual({ group: 3, member: 1 });
    expect(press('PageUp', { group: 1, member: 0 })).toEqual({ group: 0, member: 0 });
  });

  it('goes to the ends of the group with Home/End, and of the list with Ctrl', () => {
    expect(press('Home', { group: 2, member: 2 })).toEqual({ group: 2, member: 0 });
    expect(press('End', { group: 2, member: 0 })).toEqual({ group: 2, member: 2 });
    expect(press('Home', { group: 2, member: 2 }, true)).toEqual({ group: 0, member: 0 });
    expect(press('End', { group: 0, member: 0 }, true)).toEqual({ group: 3, member: 1 });
  });

  it('leaves other keys (Enter, Tab, letters) to the browser', () => {
    for (const key of ['Enter', 'Tab', ' ', 'a']) expect(press(key, { group: 0, member: 0 })).toBeNull();
  });

  it('copes with a position past what is loaded (the list shrank) and with no groups', () => {
    expect(press('ArrowLeft', { group: 9, member: 9 })).toEqual({ group: 3, member: 0 });
    expect(press('ArrowDown', { group: 0, member: 0 }, false, [])).toBeNull();
  });
});
