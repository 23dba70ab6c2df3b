import { printable } from '../../core/printableText';

interface ItemMetaProps {
  meta: Record<string, string>;
}

/** Extra fields the builder recorded for an image (e.g. source, license), as written in the catalog. */
export function ItemMeta({ meta }: ItemMetaProps) {
  const entries = Object.entries(meta);
  if (entries.length === 0) return null;
  return (
    <dl className="item-meta" data-testid="item-meta">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{printable(key)}</dt>
          <dd>{printable(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
