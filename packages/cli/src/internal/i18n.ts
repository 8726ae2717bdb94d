// Human output in English (default) or Chinese (--lang zh, or a zh_* LANG).

const ZH: Record<string, string> = {
  Trace: '追踪',
  'Root service': '根服务',
  Duration: '总耗时',
  Spans: 'Span 数',
  Services: '服务数',
  Status: '状态',
  'Start time': '开始时间',
  'Call tree': '调用树',
  Bottleneck: '性能瓶颈',
  Suggestions: '优化建议',
  Statistics: '统计信息',
  'Data issues': '数据问题',
  'Critical path': '关键路径',
  slow: '慢',
  failed: '失败',
  ok: '成功',
  error: '失败',
  'Successful calls': '成功调用',
  'Failed calls': '失败调用',
  Average: '平均',
  Max: '最大',
  Min: '最小',
  'Database calls': '数据库调用',
  'Cache calls': '缓存调用',
  'External calls': '外部调用',
  'Messaging calls': '消息调用',
  'exclusive time on the critical path': '关键路径上的独占时间',
  'of the trace': '占总耗时',
  'slowest child': '最慢子调用',
  'orphan spans (parent missing)': '孤儿 Span（父 Span 缺失）',
  'clock skew (child outside its parent)': '时钟偏差（子 Span 超出父 Span）',
  'duplicate span ids': '重复的 Span ID',
  Imported: '已导入',
  traces: '条追踪',
  spans: '个 Span',
  services: '个服务',
  'rejected spans': '被拒绝的 Span',
  'duplicates skipped': '跳过的重复 Span',
  'No traces match.': '没有匹配的追踪。',
  Found: '找到',
};

/** A translator for one language. */
export type Translate = (text: string) => string;

/** The language from --lang, or from LANG/LC_ALL when it starts with zh. */
export function resolveLang(flag: string | undefined, env: NodeJS.ProcessEnv): 'en' | 'zh' {
  if (flag) return flag.toLowerCase().startsWith('zh') ? 'zh' : 'en';
  const lang = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return lang.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** Translator for `lang`; unknown strings stay in English. */
export function translator(lang: 'en' | 'zh'): Translate {
  return lang === 'zh' ? (s) => ZH[s] ?? s : (s) => s;
}
