/**
 * Small, high-frequency Han character tables for two decisions the detector cannot make:
 *
 * - Simplified vs Traditional Chinese (zh-Hans / zh-Hant targets): pairs whose two forms differ and where
 *   neither form is in ordinary use in the other standard. Ambiguous mappings (后/後, 里/裡, 干/乾/幹, 台/臺,
 *   只/隻, 面/麵, 发/髮 …) are left out on purpose: a character counts only when it is evidence.
 * - Chinese vs Japanese for kana-less text: simplified forms that Japanese orthography never uses (Japanese
 *   shinjitai such as 学 国 会 点 写 医 体 机 猫 没 随 双 麦 coincide with the simplified forms and are
 *   excluded), plus Chinese function characters absent from Japanese (你 她 吗 呢 吧 …).
 *
 * Coverage is deliberately the few hundred characters that carry most running text, not a full mapping.
 */

/** simplified + traditional, one pair per two characters */
const PAIRS =
  "们們这這说說个個时時对對为為过過还還样樣开開关關东東车車长長问問间間听聽爱愛欢歡吗嗎觉覺现現" +
  "电電话話语語认認识識边邊动動运運书書买買卖賣饭飯见見请請谢謝岁歲乐樂经經给給让讓难難应應该該" +
  "从從儿兒实實师師员員业業热熱钱錢妈媽网網戏戲视視读讀亲親养養鱼魚鸟鳥马馬红紅绿綠颜顏气氣纪紀" +
  "记記么麼没沒处處丽麗岛島诉訴设設试試诗詩谁誰调調谈談论論议議变變贝貝负負财財货貨责責贵貴费費" +
  "赛賽军軍软軟轻輕较較载載辆輛办辦农農连連进進选選乡鄉错錯钟鐘门門阅閱队隊阳陽际際险險虽雖杂雜" +
  "鸡雞离離头頭题題风風飞飛馆館验驗闹鬧齐齊齿齒龙龍国國学學会會点點写寫医醫体體号號发發机機" +
  "们們爷爺哥哥时時钢鋼笔筆纸紙轮輪场場坏壞块塊欢歡观觀规規订訂认認让讓讲講许許论論证證" +
  "识識词詞译譯该該详詳语語误誤说說请請谁誰课課谈談谢謝谱譜贴貼赢贏购購资資赵趙踪蹤车車轨軌" +
  "转轉轰轟辈輩边邊达達迁遷运運还還这這进進远遠违違连連迟遲适適选選递遞逻邏遗遺邮郵针針钓釣" +
  "铁鐵银銀锅鍋镜鏡长長门門闭閉问問闲閒间間闻聞阵陣阶階际際陆陸陈陳险險随隨隐隱难難雾霧静靜" +
  "顶頂项項顺順须須顾顧顿頓预預领領频頻题題额額风風飞飛饮飲饰飾饱飽馆館馒饅驾駕验驗骑騎鱼魚" +
  "鲜鮮鸟鳥鸡雞鸭鴨麦麥黄黃齐齊龟龜宠寵宝寶实實审審宁寧层層岁歲岛島币幣帅帥师師带帶帮幫广廣" +
  "庆慶库庫应應开開张張弹彈归歸录錄忆憶怀懷态態恋戀总總恶惡惊驚惯慣战戰户戶执執扩擴扫掃担擔" +
  "拥擁择擇挂掛挡擋挤擠换換损損摄攝摆擺摇搖数數敌敵断斷无無旧舊显顯晓曉暂暫术術杀殺杂雜" +
  "权權条條来來极極构構枪槍标標树樹样樣桥橋检檢椭橢楼樓欧歐毕畢气氣汉漢汤湯沟溝泪淚泽澤洁潔" +
  "浅淺测測济濟浓濃涂塗润潤涨漲渐漸温溫湾灣湿濕满滿滥濫灭滅灯燈灵靈炉爐点點烟煙烦煩烧燒热熱" +
  "爱愛牵牽独獨狮獅猎獵环環现現琴琴电電画畫畅暢疗療疯瘋痒癢盐鹽监監盖蓋盘盤着著矿礦码碼础礎" +
  "确確碍礙礼禮离離种種积積称稱稳穩穷窮窝窩竞競笔筆笼籠筑築签簽简簡粮糧紧緊红紅纪紀约約级級" +
  "纯純纳納纸紙线線练練组組细細织織终終经經结結绕繞绘繪给給络絡绝絕统統继繼绩績续續绳繩维維" +
  "综綜绿綠缓緩编編缘緣网網罗羅罚罰职職联聯聪聰肃肅胜勝脑腦脚腳脸臉节節芦蘆苏蘇苹蘋荣榮" +
  "药藥获獲萝蘿营營蓝藍虾蝦虽雖蚂螞蛮蠻补補装裝见見观觀规規视視览覽觉覺计計订訂认認讨討让讓" +
  "训訓议議讯訊记記讲講许許论論设設访訪证證评評识識诉訴词詞译譯试試诗詩话話该該详詳语語误誤" +
  "请請读讀课課谁誰调調谈談谢謝贝貝负負败敗货貨质質购購贴貼费費贸貿资資赚賺赶趕趋趨跃躍践踐" +
  "轻輕输輸辑輯办辦边邊过過这這迹跡选選逊遜邻鄰酱醬释釋钟鐘钢鋼钥鑰钱錢铃鈴铅鉛银銀" +
  "错錯锻鍛键鍵镇鎮问問闯闖闹鬧阅閱队隊阳陽阴陰阵陣阶階际際陆陸陈陳险險随隨隐隱隶隸难難雏雛";

/** Chinese function characters that Japanese does not use at all (not variant forms). */
const CHINESE_ONLY = "你您她吗呢吧啊哦嗨么呀嘛啦咱哪俩甭啥咋嗯";

/** Simplified forms that coincide with Japanese shinjitai, or are otherwise used in Japanese. */
const ALSO_JAPANESE =
  "国学会点写医体号机猫没随双麦来乱声万与区旧画着条楼欧浅温湾湿灯炉独碍礼称筑脚芦蛮装践宝恋担数断静黄";

/** Traditional forms that are also current in Simplified text (so they are not evidence of Traditional). */
const TRADITIONAL_ALSO_SIMPLIFIED = "著";

const table = new Map<number, number>();
for (let i = 0; i + 1 < PAIRS.length; i += 2) {
  const s = PAIRS.codePointAt(i)!;
  const t = PAIRS.codePointAt(i + 1)!;
  if (s === t) continue;
  table.set(s, (table.get(s) ?? 0) | 1);
  if (!TRADITIONAL_ALSO_SIMPLIFIED.includes(String.fromCodePoint(t))) table.set(t, (table.get(t) ?? 0) | 2);
}
for (const [cp, v] of table) {
  if (v & 1 && !ALSO_JAPANESE.includes(String.fromCodePoint(cp))) table.set(cp, v | 4);
}
for (const ch of CHINESE_ONLY) table.set(ch.codePointAt(0)!, (table.get(ch.codePointAt(0)!) ?? 0) | 4);
// a character listed as both simplified-only and traditional-only by two pairs is no evidence either way
for (const [cp, v] of table) if ((v & 3) === 3) table.set(cp, v & ~3);

/** Bit 1: Simplified-only form; bit 2: Traditional-only form; bit 4: Chinese, not Japanese. 0 otherwise. */
export function hanVariantOf(cp: number): number {
  return table.get(cp) ?? 0;
}
