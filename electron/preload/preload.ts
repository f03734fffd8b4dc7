// The sandboxed renderer runs its preload as a plain CommonJS script, without ESM or access to
// other files (the nearby package.json makes the compiler emit CommonJS), so this file imports
// only types. It exposes one function per AppApi method, each bound to that method's channel,
// and never a generic invoke: the object literal below must name every method of ElectronBridge
// and nothing else, which the compiler checks.
type AppMethod = import('../../core/app-api.js').AppMethod;
type ElectronBridge = import('../../core/app-api.js').ElectronBridge;

const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

const call = (method: AppMethod) => (payload?: unknown): Promise<unknown> => ipcRenderer.invoke(`app:${method}`, payload);

const bridge: ElectronBridge = {
  getState: call('getState'),
  listDataSets: call('listDataSets'),
  loadWorkspace: call('loadWorkspace'),
  setPool: call('setPool'),
  setSettings: call('setSettings'),
  getHardware: call('getHardware'),
  inspectModelFile: call('inspectModelFile'),
  tune: call('tune'),
  getClusterMap: call('getClusterMap'),
  getRoutingTable: call('getRoutingTable'),
  getBudget: call('getBudget'),
  setOperatingPoint: call('setOperatingPoint'),
  listTraces: call('listTraces'),
  getTrace: call('getTrace'),
  getQe: call('getQe'),
  setQeThreshold: call('setQeThreshold'),
  startLive: call('startLive'),
  startCompare: call('startCompare'),
  abortStream: call('abortStream'),
  checkLive: call('checkLive'),
  listRuns: call('listRuns'),
  startRun: call('startRun'),
  pauseRun: call('pauseRun'),
  resumeRun: call('resumeRun'),
  openRun: call('openRun'),
  exportConfig: call('exportConfig'),
  importConfig: call('importConfig'),
  exportReport: call('exportReport'),
  startServe: call('startServe'),
  stopServe: call('stopServe'),
  // The shell's own dialog, not an engine method; the channel name repeats core's PICK_MODEL_FILE_CHANNEL (a test keeps them equal).
  pickModelFile: () => ipcRenderer.invoke('shell:pickModelFile'),
  onEvent(listener) {
    // Only the event's data crosses: the IpcRendererEvent (with its sender) stays here.
    const forward = (_event: unknown, data: unknown) => listener(data);
    ipcRenderer.on('app:event', forward);
    return () => void ipcRenderer.removeListener('app:event', forward);
  },
};

contextBridge.exposeInMainWorld('cascadeLab', bridge);
