import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createAppClient, EngineLink } from './api/index.js';
import { App } from './App.js';
import { createAppStore, StoreContext } from './store/index.js';
import './styles.css';

const link = new EngineLink();
const { store } = createAppStore(createAppClient(link), link);
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);
void store.getState().init();
