/**
 * How deep arrays and objects may nest in one message. V8's JSON.parse copes with any depth (it
 * parsed 1,000,000 nested arrays on Node 20), but JSON.stringify throws RangeError somewhere
 * between 2,000 and 5,000 levels, and every message is stringified again to be recorded. MCP
 * messages nest a dozen levels; tool arguments get generous headroom.
 */
export const MAX_JSON_NESTING_DEPTH = 128;

const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** Counts `[` and `{` with native indexOf, stopping once more than `limit` are found. */
const moreOpeningsThan = (text: string, limit: number): boolean => {
  let count = 0;
  for (const opening of ['[', '{']) {
    let at = text.indexOf(opening);
    while (at !== -1) {
      if (++count > limit) return true;
      at = text.indexOf(opening, at + 1);
    }
  }
  return false;
};

/**
 * True when `text` opens more than `maxDepth` arrays/objects inside one another (brackets inside
 * strings do not count). Most messages have fewer brackets in total than the limit, which a few
 * native indexOf calls establish; only the others are scanned character by character.
 */
export const exceedsNestingDepth = (text: string, maxDepth: number = MAX_JSON_NESTING_DEPTH): boolean => {
  if (!moreOpeningsThan(text, maxDepth)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_BRACKET || char === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (char === CLOSE_BRACKET || char === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
};
