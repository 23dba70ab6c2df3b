/** A picture with an arrow: "use an image of your own". Decorative; the button has its own text. */
export function UploadIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" aria-hidden="true" focusable="false">
      <rect x="3" y="5" width="18" height="14" rx="2.5" stroke="currentColor" strokeWidth="1.8" />
      <path
        d="M6.5 16l3.5-4 2.5 2.8L15 12l2.5 4"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinejoin="round"
      />
      <circle cx="8.5" cy="9" r="1.4" fill="currentColor" />
    </svg>
  );
}
