import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { routeAfterCritique } from "../../nodes/critique-dialogue.js";
import { loadPromptSet, type VariantManifest } from "../../lib/prompts/loader.js";
import { type DialogueContext, resolveConfig } from "../../nodes/configuration.js";
import type { DialogueState } from "../../nodes/state.js";

/**
 * The graph's routes that depend on the prompt variant's manifest (prompts/<variant>/variant.json): whether the
 * common ground is written, and whether the speakers write turn by turn or the whole dialogue in one call.
 * Conditional-edge functions get the run's config, whose `context` names the variant.
 */

export function manifestOf(config: LangGraphRunnableConfig | undefined): VariantManifest {
  return loadPromptSet(resolveConfig((config as { context?: DialogueContext } | undefined)?.context).promptVariant)
    .manifest;
}

const writer = (manifest: VariantManifest) => (manifest.mode === "whole-dialogue" ? "wholeDialogue" : "turnByTurn");

/** After the plan: write the common ground, or (no-common-ground variants) go straight to the speakers. */
export function routeAfterPlan(
  _state: DialogueState,
  config?: LangGraphRunnableConfig,
): "commonGround" | "turnByTurn" | "wholeDialogue" {
  const manifest = manifestOf(config);
  return manifest.commonGround ? "commonGround" : writer(manifest);
}

/** After the common ground: reject, or on to the speakers of the variant's mode. */
export function routeAfterCommonGround(
  state: DialogueState,
  config?: LangGraphRunnableConfig,
): "turnByTurn" | "wholeDialogue" | "reject" {
  return state.rejectionReasons.length > 0 ? "reject" : writer(manifestOf(config));
}

/** After the critique: a repair goes back to the speakers turn by turn, or to a whole new draft. */
export function routeAfterCritiqueFor(
  state: DialogueState,
  config?: LangGraphRunnableConfig,
): "accept" | "repair" | "redraft" | "reject" {
  const route = routeAfterCritique(state);
  return route === "repair" && manifestOf(config).mode === "whole-dialogue" ? "redraft" : route;
}
