/** The prompt box, token limit, send and Stop controls that the Live and Compare views share. */
export function PromptControls(props: {
  prompt: string;
  onPrompt: (prompt: string) => void;
  maxTokens: number;
  onMaxTokens: (maxTokens: number) => void;
  submitLabel: string;
  canSubmit: boolean;
  running: boolean;
  onStop: () => void;
  status: string;
  promptTestId?: string;
  statusTestId?: string;
}) {
  return (
    <>
      <label className="field">
        Prompt
        <textarea value={props.prompt} onChange={(e) => props.onPrompt(e.target.value)} data-testid={props.promptTestId} />
      </label>
      <div className="row">
        <label className="inline">
          Max tokens
          <input type="number" min={1} max={4096} value={props.maxTokens} onChange={(e) => props.onMaxTokens(Math.max(1, Number(e.target.value) || 1))} />
        </label>
        <button type="submit" className="btn btn-primary" disabled={props.running || !props.canSubmit}>{props.submitLabel}</button>
        <button type="button" className="btn" disabled={!props.running} onClick={props.onStop}>Stop</button>
        <span role="status" data-testid={props.statusTestId}>{props.status}</span>
      </div>
    </>
  );
}
