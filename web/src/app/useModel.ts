/** Re-renders a component whenever the chat model changes. */
import { useEffect, useReducer } from "preact/hooks";
import type { ChatModel } from "./model";

export function useModel(model: ChatModel): ChatModel {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => model.subscribe(() => bump(0)), [model]);
  return model;
}
