import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GdError, memory, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  corpusStats,
  extractQuatrains,
  formatCorpus,
  parseCorpus,
  quatrainForm,
  quatrainLines,
  type SourcePoem,
} from '../src/poems/corpus.js';
import { loadTangQuatrains } from '../src/tang.js';

const fails = failsWith(memory, GdError);
const here = import.meta.dirname;
const fixture = join(here, 'fixtures', 'chinese-poetry');
const fixtureFile = (n: number): SourcePoem[] =>
  JSON.parse(readFileSync(join(fixture, 'dist', 'quantangshi', `poet.tang.${n}.json`), 'utf8'));

describe('the quatrain form', () => {
  it('is four lines of 5 or 7 characters with ，。，。', () => {
    expect(quatrainForm('紅豆生南國，秋來發故枝。願君多采擷，此物最相思。')).toBe(5);
    expect(quatrainForm('黃河遠上白雲間，一片孤城萬仞山。羌笛何須怨楊柳，春風不度玉門關。')).toBe(7);
    // a character outside the BMP (two UTF-16 units) is one character
    expect(quatrainForm('唐劍斬隋公，拳毛屬太宗。莫嫌金甲重，且去捉𩘶風。')).toBe(5);
  });
  it('rejects the wrong punctuation, lengths, line counts and mixed forms', () => {
    for (const bad of [
      '紅豆生南國。秋來發故枝，願君多采擷，此物最相思。', // 。 and ， swapped
      '紅豆生南國，秋來發故枝。願君多采擷，此物最相思', // no final 。
      '紅豆生南，秋來發故枝。願君多采擷，此物最相思。', // a line of 4
      '紅豆生南國，秋來發故枝。', // two lines
      '紅豆生南國，秋來發故枝。願君多采擷，此物最相思。紅豆生南國，秋來發故枝。', // six lines
      '紅豆生南國，秋來發故枝。羌笛何須怨楊柳，春風不度玉門關。', // 5 and 7 mixed
      '',
    ]) {
      expect(quatrainForm(bad), bad).toBeNull();
    }
  });
  it('splits into its four lines', () => {
    expect(quatrainLines('千山鳥飛絕，萬逕人蹤滅。孤舟蓑笠翁，獨釣寒江雪。')).toEqual([
      '千山鳥飛絕',
      '萬逕人蹤滅',
      '孤舟蓑笠翁',
      '獨釣寒江雪',
    ]);
  });
});

describe('extracting quatrains from the package JSON', () => {
  it('keeps the quatrains of a fixture in the package shape, in order, and nothing else', () => {
    const q = extractQuatrains([...fixtureFile(0), ...fixtureFile(2000), ...fixtureFile(10000)]);
    expect(q.map((x) => [x.title, x.author, x.form])).toEqual([
      ['相思', '王維', 5],
      ['江雪', '柳宗元', 5],
      ['涼州詞', '王之渙', 7],
      ['一字在基本平面之外', '佚名', 5],
    ]);
    expect(q[0]!.text).toBe('紅豆生南國，秋來發故枝。願君多采擷，此物最相思。');
  });
  it('keeps tabs and line breaks out of author and title, so the file stays one poem a line', () => {
    const [q] = extractQuatrains([{ author: 'a\tb', title: 't\nu', paragraphs: ['紅豆生南國，秋來發故枝。', '願君多采擷，此物最相思。'] }]);
    expect([q!.author, q!.title]).toEqual(['a b', 't u']);
  });
  it('names what is wrong with a poem that is not in the package shape', () => {
    fails(
      () => extractQuatrains([{ author: 'x', title: 'y' } as unknown as SourcePoem]),
      ValueError,
      /extractQuatrains: poem 0 has no paragraphs/,
    );
    fails(
      () => extractQuatrains('poems' as unknown as SourcePoem[]),
      ValueError,
      /extractQuatrains: expected an array of poems, got string/,
    );
  });
  it('the file format round-trips, and a bad line is named', () => {
    const q = extractQuatrains(fixtureFile(10000));
    expect(parseCorpus(formatCorpus(q))).toEqual(q);
    fails(() => parseCorpus('紅豆生南國，秋來發故枝。\t王維\t相思\n'), ValueError, /parseCorpus: line 1 is not a quatrain/);
  });
  it('the script reads the files in numeric order and writes the corpus and the licence', () => {
    const out = mkdtempSync(join(tmpdir(), 'poems-'));
    try {
      const printed = execFileSync(process.execPath, [join(here, '..', 'scripts', 'extract-poems.mjs'), fixture, out], {
        encoding: 'utf8',
      });
      expect(printed).toContain('chinese-poetry@2.0.1: 3 files, 8 poems of 全唐詩');
      // 3 five-character quatrains of 24 characters; one seven-character of 32, all 28 characters
      // distinct, with ， and 。
      expect(printed).toContain('5-character quatrains: 3 poems, 72 characters');
      expect(printed).toContain('7-character quatrains: 1 poems, 32 characters, 30 distinct');
      const written = parseCorpus(readFileSync(join(out, 'tang-quatrains.tsv'), 'utf8'));
      expect(written.map((q) => q.title)).toEqual(['相思', '江雪', '涼州詞', '一字在基本平面之外']);
      expect(readFileSync(join(out, 'tang-quatrains.LICENSE'), 'utf8')).toMatch(/^The MIT License/m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the committed corpus', () => {
  it('holds the 3,911 five- and 10,506 seven-character quatrains of 全唐詩 in the package', () => {
    expect(corpusStats(loadTangQuatrains(5))).toEqual({ poems: 3911, characters: 93_864, distinct: 3755 });
    expect(corpusStats(loadTangQuatrains(7))).toEqual({ poems: 10_506, characters: 336_192, distinct: 5051 });
    expect(loadTangQuatrains().length).toBe(3911 + 10_506);
  });
});
