import type { SimilarityLabel } from '../../core/calibration';
import { LabelledSelect } from '../common/LabelledSelect';
import { CUT_OFF_CHOICES } from './cutOff';

interface CutOffSelectorProps {
  cutOff: SimilarityLabel;
  onChange: (cutOff: SimilarityLabel) => void;
}

/** Which results to show by how similar this collection's calibration says they are; kept in the URL. */
export function CutOffSelector({ cutOff, onChange }: CutOffSelectorProps) {
  return (
    <LabelledSelect
      label="Show"
      value={cutOff}
      choices={CUT_OFF_CHOICES}
      onChange={onChange}
      testId="cut-off-select"
    />
  );
}
