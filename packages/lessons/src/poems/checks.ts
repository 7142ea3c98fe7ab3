// Checks on generated poems: is each a well-formed quatrain, and how many of its lines are
// copied verbatim from the training poems.
import { quatrainForm, quatrainLines } from './corpus.js';

/** How many samples are well-formed quatrains, and how many of their lines appear verbatim in training. */
export interface FormReport {
  samples: number;
  wellFormed: number;
  lines: number;
  copiedLines: number;
}

/**
 * Form and copying of generated poems: a sample is well-formed when {@link quatrainForm} accepts it
 * (4 lines of 5 or 7 characters, ，。，。); every line of every sample (the text between marks) is
 * looked up among the lines of the training poems.
 */
export function formReport(samples: readonly string[], trainTexts: readonly string[]): FormReport {
  const known = new Set(trainTexts.flatMap(quatrainLines));
  let wellFormed = 0;
  let lines = 0;
  let copiedLines = 0;
  for (const s of samples) {
    if (quatrainForm(s) !== null) wellFormed++;
    for (const l of quatrainLines(s)) {
      lines++;
      if (known.has(l)) copiedLines++;
    }
  }
  return { samples: samples.length, wellFormed, lines, copiedLines };
}
