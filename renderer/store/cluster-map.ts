import type { AppClient, ClusterMap } from '../../core/app-api.js';
import { describeError, type SliceCreator } from './types.js';

export type Projection = ClusterMap['projection'];
export type ColourBy = 'cluster' | 'plan';

export interface ClusterMapSlice {
  clusterMap: ClusterMap | null;
  projection: Projection;
  colourBy: ColourBy;
  clusterMapLoading: boolean;
  clusterMapError: string | null;
  loadClusterMap(projection?: Projection): Promise<void>;
  setColourBy(colourBy: ColourBy): void;
}

export const createClusterMapSlice = (api: AppClient): SliceCreator<ClusterMapSlice> => (set, get) => ({
  clusterMap: null,
  // LDA on the cluster labels lays the clusters apart; PCA and UMAP are a choice away.
  projection: 'lda',
  colourBy: 'cluster',
  clusterMapLoading: false,
  clusterMapError: null,
  loadClusterMap: async (projection = get().projection) => {
    set({ projection, clusterMapLoading: true, clusterMapError: null });
    try {
      const clusterMap = await api.getClusterMap({ projection });
      if (get().projection === projection) set({ clusterMap });
    } catch (err) {
      set({ clusterMapError: describeError(err) });
    } finally {
      set({ clusterMapLoading: false });
    }
  },
  setColourBy: (colourBy) => set({ colourBy }),
});
