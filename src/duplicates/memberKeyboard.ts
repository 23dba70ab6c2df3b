/** A member of a duplicate group on the page: group index (largest group first) and member index. */
export interface MemberPosition {
  group: number;
  member: number;
}

export interface MemberKey {
  key: string;
  /** Ctrl (or ⌘) with Home/End goes to the first/last group, as in an ARIA grid. */
  ctrlKey: boolean;
}

/**
 * Where focus goes among the groups on the page when a key is pressed, or null when the key is not a
 * navigation key (so the browser keeps its default, e.g. Tab, or Enter following the member's link).
 * Groups are rows of different lengths: ↑/↓ move between groups and keep the column where the next
 * group is long enough, ←/→ move within a group, Home/End go to its ends, Page Up/Down jump
 * `groupsPerPage` groups. `groupSizes` are the members of the groups loaded so far.
 */
export function nextMemberPosition(
  { key, ctrlKey }: MemberKey,
  from: MemberPosition,
  groupSizes: readonly number[],
  groupsPerPage: number,
): MemberPosition | null {
  const groups = groupSizes.length;
  if (groups === 0) return null;
  const clampGroup = (g: number) => Math.min(groups - 1, Math.max(0, g));
  const inGroup = (g: number, member: number) => ({
    group: g,
    member: Math.min(groupSizes[g] - 1, Math.max(0, member)),
  });
  const at = inGroup(clampGroup(from.group), from.member);
  const jump = Math.max(1, groupsPerPage);
  switch (key) {
    case 'ArrowRight':
      return inGroup(at.group, at.member + 1);
    case 'ArrowLeft':
      return inGroup(at.group, at.member - 1);
    case 'ArrowDown':
      return inGroup(clampGroup(at.group + 1), at.member);
    case 'ArrowUp':
      return inGroup(clampGroup(at.group - 1), at.member);
    case 'PageDown':
      return inGroup(clampGroup(at.group + jump), at.member);
    case 'PageUp':
      return inGroup(clampGroup(at.group - jump), at.member);
    case 'Home':
      return ctrlKey ? { group: 0, member: 0 } : inGroup(at.group, 0);
    case 'End':
      return ctrlKey ? inGroup(groups - 1, Infinity) : inGroup(at.group, Infinity);
    default:
      return null;
  }
}
