import type { StatusNotice } from './statusNotices';

interface StatusLineProps {
  notices: StatusNotice[];
}

export function StatusLine({ notices }: StatusLineProps) {
  return (
    <div className="status-line" role="status" data-testid="status-line">
      {notices.map((n) => (
        <p key={n.id} className={`status status-${n.tone}`} data-testid={`status-${n.id}`}>
          {n.text}
        </p>
      ))}
    </div>
  );
}
