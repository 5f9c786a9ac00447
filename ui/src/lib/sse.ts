// Server-sent events as Kestra sends them (Micronaut Event: `id: start|progress|end`, `data: <json>`).
export interface SseHandle {
  close(): void;
}

export function follow(url: string, onData: (data: any, kind: string) => void, onEnd?: () => void): SseHandle {
  const es = new EventSource(url, { withCredentials: true });
  let closed = false;
  const handle = (ev: MessageEvent, type?: string) => {
    const kind = type ?? (ev.lastEventId || "progress");
    if (ev.data && ev.data !== "null" && ev.data !== "") {
      try {
        const parsed = JSON.parse(ev.data);
        if (parsed && (typeof parsed !== "object" || Object.keys(parsed).length)) onData(parsed, kind);
      } catch {
        /* keep-alive or non JSON frame */
      }
    }
    if (kind === "end") {
      close();
      onEnd?.();
    }
  };
  es.onmessage = (ev) => handle(ev);
  for (const t of ["start", "progress", "end"]) es.addEventListener(t, (ev) => handle(ev as MessageEvent, t));
  es.onerror = () => {
    // the server closed the stream at the end (or went away): EventSource would reconnect; let it, unless closed
    if (es.readyState === EventSource.CLOSED) onEnd?.();
  };
  function close() {
    if (!closed) {
      closed = true;
      es.close();
    }
  }
  return { close };
}
