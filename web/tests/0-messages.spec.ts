// The invitation page's messages (src/i18n.ts), checked without a browser: every
// message exists in English and in German, in the same shape (text, or a function
// of the same blanks, each of which shows in what it says), and nothing is empty.
import { expect, test } from "@playwright/test";
import { langOf, LANGS, MESSAGES } from "../src/i18n";

test("every message of the invitation page exists in English and German, with the same blanks", () => {
  const keys = (lang: keyof typeof MESSAGES) => Object.keys(MESSAGES[lang]).sort();
  for (const lang of LANGS) expect(keys(lang), `${lang}'s messages`).toEqual(keys("en"));
  for (const key of keys("en")) {
    const en = (MESSAGES.en as Record<string, unknown>)[key];
    for (const lang of LANGS) {
      const m = (MESSAGES[lang] as Record<string, unknown>)[key];
      const where = `${lang}.${key}`;
      expect(typeof m, where).toBe(typeof en);
      if (typeof m === "string") expect(m.trim(), where).not.toBe("");
      if (Array.isArray(m)) expect(m.length, where).toBe((en as unknown[]).length);
      if (typeof m === "function") {
        expect(m.length, `${where}: its blanks`).toBe((en as (...a: string[]) => string).length);
        const blanks = Array.from({ length: m.length }, (_, i) => `«blank${i}»`);
        const text = (m as (...a: string[]) => string)(...blanks);
        for (const b of blanks) expect(text, `${where} shows ${b}`).toContain(b);
      }
    }
  }
});

test("the language of a locale: German for de and its regions, English for anything else", () => {
  expect(["de", "de-DE", "de_AT", "DE-ch"].map(langOf)).toEqual(["de", "de", "de", "de"]);
  expect(["en", "en-GB", "fr", "dek", "", undefined].map(langOf)).toEqual(["en", "en", "en", "en", "en", "en"]);
});
