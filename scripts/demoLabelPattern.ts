/**
 * The demo's names carry each emoji's code (`Smileys & Emotion/apple_1F600.png`; a skin tone is its own
 * code, `…_1F44B-1F3FB.png`), so `--label-pattern` with this expression tells the builder which images
 * are one emoji drawn by different vendors (index-builder/imageLabels.ts). The demo build uses it, and
 * the bench measures the development sets' emoji galleries, named the same way, with and without it.
 */
export const DEMO_LABEL_PATTERN = '_([0-9A-F]+(?:-[0-9A-F]+)*)\\.png$';
