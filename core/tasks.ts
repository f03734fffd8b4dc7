/** How many of the chosen rows each task has, most first (ties by name, so the order is stable). */
export function taskCounts(tasks: readonly string[], include: (row: number) => boolean = () => true): { task: string; queries: number }[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < tasks.length; i++) if (include(i)) counts.set(tasks[i], (counts.get(tasks[i]) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([task, queries]) => ({ task, queries }));
}

/** The most common task among the chosen rows; `''` when none is chosen. */
export function topTask(tasks: readonly string[], include: (row: number) => boolean = () => true): string {
  return taskCounts(tasks, include)[0]?.task ?? '';
}
