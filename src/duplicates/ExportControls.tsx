import { useState } from 'react';
import type { SimilarityCalibration } from '../../core/calibration';
import { errorMessage } from '../../core/errorMessage';
import type { DuplicateStrictness } from '../../workers/searchApi';
import { searchClient } from '../searchClient';
import { collectAllGroups, duplicatesCsv, duplicatesJson } from './duplicateExport';
import { downloadText } from './downloadFile';

type ExportFormat = 'json' | 'csv';

const FORMATS: Record<ExportFormat, { text: string; type: string; write: typeof duplicatesJson }> = {
  json: { text: 'JSON', type: 'application/json', write: duplicatesJson },
  csv: { text: 'CSV', type: 'text/csv;charset=utf-8', write: duplicatesCsv },
};

interface ExportControlsProps {
  strictness: DuplicateStrictness;
  calibration: SimilarityCalibration | null;
}

/** Downloads every group at this strictness (not only those on the page) as JSON or CSV. */
export function ExportControls({ strictness, calibration }: ExportControlsProps) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  const exportAs = async (format: ExportFormat) => {
    if (state.busy) return;
    setState({ busy: true, error: null });
    try {
      const all = await collectAllGroups(searchClient.duplicateGroups, strictness);
      if (all === null) throw new Error('this build has no duplicate groups');
      const { type, write } = FORMATS[format];
      downloadText(write(all, calibration), `duplicates-${strictness}.${format}`, type);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error: errorMessage(error) });
    }
  };

  return (
    <div className="dup-export" role="group" aria-label="Export the groups at this strictness">
      {(Object.keys(FORMATS) as ExportFormat[]).map((format) => (
        <button
          key={format}
          type="button"
          className="button"
          // Not disabled: that would drop keyboard focus to the page's body while the export runs.
          aria-disabled={state.busy}
          onClick={() => void exportAs(format)}
          data-testid={`export-${format}`}
        >
          Export {FORMATS[format].text}
        </button>
      ))}
      <span className="visually-hidden" aria-live="polite">
        {state.busy ? 'Preparing the export…' : ''}
      </span>
      {state.error !== null && (
        <p className="dup-export-error" role="alert" data-testid="export-error">
          The export failed: {state.error}
        </p>
      )}
    </div>
  );
}
