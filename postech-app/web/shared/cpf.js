// The CPF rules of postech-shared-sdk (`src/cpf.rs`, `Cpf::parse`), for the pages: a kiosk
// refuses a CPF the API would refuse before sending it. The app's test
// `pages_cpf::the_pages_cpf_rules_agree_with_the_sdk` runs this file under Node against the
// SDK on thousands of inputs, so the two cannot drift apart.

/** Digits of a CPF: nine base digits and two check digits. */
export const CPF_DIGITS = 11;

// Rust's `str::trim` removes the characters of Unicode's White_Space property; JavaScript's
// `String.prototype.trim` removes a different set (it adds U+FEFF and omits U+0085).
const WHITE_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f,
  0x3000,
]);

function trimWhiteSpace(text) {
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  while (start < end && WHITE_SPACE.has(chars[start].codePointAt(0))) start += 1;
  while (end > start && WHITE_SPACE.has(chars[end - 1].codePointAt(0))) end -= 1;
  return chars.slice(start, end).join("");
}

function isAsciiDigit(char) {
  return char >= "0" && char <= "9";
}

// Exactly `DDDDDDDDDDD` or `DDD.DDD.DDD-DD`; the digit values, or null. Lengths are in UTF-8
// bytes, as in Rust (a non-ASCII character is never a digit, so only ASCII can pass anyway).
function extractDigits(text) {
  const bytes = new TextEncoder().encode(text);
  const formatted =
    bytes.length === 14 && bytes[3] === 0x2e && bytes[7] === 0x2e && bytes[11] === 0x2d;
  if (bytes.length !== CPF_DIGITS && !formatted) return null;
  const digits = [];
  for (let position = 0; position < bytes.length; position += 1) {
    if (formatted && (position === 3 || position === 7 || position === 11)) continue;
    const byte = bytes[position];
    if (byte < 0x30 || byte > 0x39) return null;
    digits.push(byte - 0x30);
  }
  return digits;
}

// Weights 10..2 over the nine digits for the first check digit, 11..2 over the nine and the
// first check digit for the second; a remainder (mod 11) below 2 gives 0, else 11 − it.
function checkDigit(digits) {
  const weightOfFirst = digits.length + 1;
  const sum = digits.reduce((total, digit, index) => total + digit * (weightOfFirst - index), 0);
  const remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}

/**
 * Parses a CPF typed as 11 digits or as `000.000.000-00` (surrounding white space ignored).
 * @returns {{ok: true, digits: string} | {ok: false, error: "formato" | "digitos_iguais" | "digitos_verificadores"}}
 */
export function parseCpf(text) {
  const digits = extractDigits(trimWhiteSpace(String(text)));
  if (digits === null) return { ok: false, error: "formato" };
  if (digits.every((digit) => digit === digits[0])) return { ok: false, error: "digitos_iguais" };
  const base = digits.slice(0, 9);
  const first = checkDigit(base);
  const second = checkDigit([...base, first]);
  if (first !== digits[9] || second !== digits[10]) {
    return { ok: false, error: "digitos_verificadores" };
  }
  return { ok: true, digits: digits.join("") };
}

/** What to tell a person about a refused CPF. */
export const CPF_MESSAGES = {
  formato: "Digite os 11 números do CPF.",
  digitos_iguais: "CPF inválido: todos os dígitos são iguais.",
  digitos_verificadores: "CPF inválido: confira os números digitados.",
};

/**
 * The CPF as it is being typed, masked: only its first 11 digits are kept and the dots and
 * dash are placed as the digits arrive (`529`, `529.9`, `529.982.247-2`).
 */
export function maskCpf(text) {
  const digits = String(text).replace(/\D/g, "").slice(0, CPF_DIGITS);
  let masked = "";
  for (let index = 0; index < digits.length; index += 1) {
    if (index === 3 || index === 6) masked += ".";
    if (index === 9) masked += "-";
    masked += digits[index];
  }
  return masked;
}
