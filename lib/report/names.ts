/**
 * What a contact-sheet tile shows of its key. Keys of one run share a long start
 * (`uploads/photos/2024/…`) and a tile has room for ~30 characters, so the start alone made every
 * tile read the same (`uploads/photos/n0…`). A tile shows the key below the folder every key on
 * the sheet shares, and when that is still too long, its end (where names differ: the file name),
 * with an ellipsis in front; the page keeps the full key in the tile's title.
 */

/** The longest folder (a prefix ending in `/`) that every key starts with; '' when none. */
export function sharedFolder(keys: readonly string[]): string {
  const [first, ...rest] = keys;
  if (first === undefined) return '';
  let common = first;
  for (const key of rest) {
    let i = 0;
    while (i < common.length && i < key.length && common[i] === key[i]) i++;
    common = common.slice(0, i);
    if (common === '') return '';
  }
  // Up to the last `/` of the common part: a folder, never half a name (`n0` of `n01`, `n02`).
  return common.slice(0, common.lastIndexOf('/') + 1);
}

/** Characters a tile's name line holds at the sheet's narrowest tile (CSS cuts what is over). */
export const TILE_NAME_CHARS = 28;

/**
 * `key` below `folder`, at most `max` characters (counted as code points, so no character is cut
 * in half), keeping the end: `…2024/06/IMG_0412.jpg`.
 */
export function tileName(key: string, folder: string, max = TILE_NAME_CHARS): string {
  const below =
    folder !== '' && key.startsWith(folder) && key !== folder ? key.slice(folder.length) : key;
  const chars = Array.from(below);
  return chars.length <= max ? below : `…${chars.slice(chars.length - (max - 1)).join('')}`;
}
