/** Product areas whose backend does not exist yet; their pages say so plainly. */
export const NOT_BUILT_AREAS = {
  tuning: {
    title: "Tuning",
    message: "Tuning is not built yet — coming with the tuning milestone.",
  },
} as const;

export type NotBuiltArea = keyof typeof NOT_BUILT_AREAS;
