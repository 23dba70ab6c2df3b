import { useSyncExternalStore } from 'react';
import { getLastUpload, subscribeLastUpload, type LastUpload } from './lastUpload';

export function useLastUpload(): LastUpload | null {
  return useSyncExternalStore(subscribeLastUpload, getLastUpload);
}
