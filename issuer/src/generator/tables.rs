//! Word lists for the synthetic register: surnames with Hanja and 본 weighted by frequency,
//! given-name syllables with Hanja, road-name address districts with postal-code ranges.
//!
//! Frequencies are rounded from the shape of the 2015 census (김 about 21.5 %, 이 14.7 %,
//! 박 8.4 %, …); the lists are illustrative, not complete.

/// A surname (성), its Hanja, its 본 with relative weights, and its weight per 10,000 people.
pub(super) struct Surname {
    pub(super) hangul: &'static str,
    pub(super) hanja: &'static str,
    pub(super) bons: &'static [(&'static str, u32)],
    pub(super) weight: u32,
}

#[rustfmt::skip]
pub(super) const SURNAMES: &[Surname] = &[
    Surname { hangul: "김", hanja: "金", weight: 2150, bons: &[("김해", 45), ("경주", 18), ("광산", 9), ("김녕", 5), ("안동", 5), ("연안", 4), ("의성", 3), ("강릉", 3)] },
    Surname { hangul: "이", hanja: "李", weight: 1470, bons: &[("전주", 37), ("경주", 18), ("성주", 3), ("광주", 3), ("연안", 2), ("한산", 2), ("인천", 2)] },
    Surname { hangul: "박", hanja: "朴", weight: 840, bons: &[("밀양", 75), ("반남", 3), ("함양", 3), ("순천", 2)] },
    Surname { hangul: "최", hanja: "崔", weight: 470, bons: &[("경주", 50), ("전주", 10), ("해주", 9), ("강릉", 7), ("수원", 6)] },
    Surname { hangul: "정", hanja: "鄭", weight: 430, bons: &[("동래", 28), ("연일", 20), ("경주", 12), ("하동", 8), ("진주", 6)] },
    Surname { hangul: "강", hanja: "姜", weight: 230, bons: &[("진주", 90)] },
    Surname { hangul: "조", hanja: "趙", weight: 210, bons: &[("한양", 35), ("함안", 15), ("풍양", 15), ("배천", 8)] },
    Surname { hangul: "윤", hanja: "尹", weight: 200, bons: &[("파평", 75), ("해평", 8)] },
    Surname { hangul: "장", hanja: "張", weight: 200, bons: &[("인동", 45), ("안동", 12), ("옥산", 8)] },
    Surname { hangul: "임", hanja: "林", weight: 170, bons: &[("나주", 35), ("평택", 30)] },
    Surname { hangul: "한", hanja: "韓", weight: 150, bons: &[("청주", 90)] },
    Surname { hangul: "오", hanja: "吳", weight: 150, bons: &[("해주", 40), ("보성", 12), ("동복", 8)] },
    Surname { hangul: "서", hanja: "徐", weight: 150, bons: &[("달성", 40), ("이천", 30)] },
    Surname { hangul: "신", hanja: "申", weight: 140, bons: &[("평산", 80), ("고령", 12)] },
    Surname { hangul: "권", hanja: "權", weight: 140, bons: &[("안동", 98)] },
    Surname { hangul: "황", hanja: "黃", weight: 140, bons: &[("장수", 35), ("창원", 25), ("평해", 18)] },
    Surname { hangul: "안", hanja: "安", weight: 130, bons: &[("순흥", 60), ("죽산", 20), ("광주", 15)] },
    Surname { hangul: "송", hanja: "宋", weight: 130, bons: &[("여산", 30), ("은진", 30), ("진천", 10)] },
    Surname { hangul: "전", hanja: "全", weight: 110, bons: &[("정선", 15), ("천안", 15), ("옥천", 10)] },
    Surname { hangul: "홍", hanja: "洪", weight: 110, bons: &[("남양", 85)] },
    Surname { hangul: "유", hanja: "柳", weight: 100, bons: &[("문화", 60), ("전주", 30)] },
    Surname { hangul: "고", hanja: "高", weight: 90, bons: &[("제주", 90)] },
    Surname { hangul: "문", hanja: "文", weight: 90, bons: &[("남평", 90)] },
    Surname { hangul: "손", hanja: "孫", weight: 90, bons: &[("밀양", 50), ("경주", 20)] },
    Surname { hangul: "양", hanja: "梁", weight: 80, bons: &[("남원", 50), ("제주", 40)] },
    Surname { hangul: "배", hanja: "裵", weight: 80, bons: &[("분성", 25), ("성산", 25), ("달성", 20)] },
    Surname { hangul: "백", hanja: "白", weight: 70, bons: &[("수원", 80)] },
    Surname { hangul: "허", hanja: "許", weight: 60, bons: &[("김해", 50), ("양천", 30)] },
    Surname { hangul: "유", hanja: "劉", weight: 60, bons: &[("강릉", 70), ("거창", 20)] },
    Surname { hangul: "남", hanja: "南", weight: 60, bons: &[("의령", 70)] },
    Surname { hangul: "노", hanja: "盧", weight: 45, bons: &[("교하", 30), ("광주", 30), ("장연", 15)] },
    Surname { hangul: "남궁", hanja: "南宮", weight: 3, bons: &[("함열", 100)] },
    Surname { hangul: "황보", hanja: "皇甫", weight: 2, bons: &[("영천", 100)] },
    Surname { hangul: "제갈", hanja: "諸葛", weight: 1, bons: &[("남양", 100)] },
    Surname { hangul: "선우", hanja: "鮮于", weight: 1, bons: &[("태원", 100)] },
];

/// Given-name syllables (Hangul, Hanja) common in men's names.
#[rustfmt::skip]
pub(super) const MALE_SYLLABLES: &[(&str, &str)] = &[
    ("민", "珉"), ("준", "俊"), ("서", "瑞"), ("도", "度"), ("현", "賢"), ("우", "宇"),
    ("지", "智"), ("호", "浩"), ("성", "成"), ("진", "鎭"), ("영", "永"), ("수", "洙"),
    ("훈", "勳"), ("재", "在"), ("석", "錫"), ("동", "東"), ("상", "相"), ("철", "哲"),
    ("윤", "潤"), ("건", "建"), ("태", "泰"), ("승", "承"), ("원", "元"), ("혁", "赫"),
    ("규", "奎"), ("기", "基"), ("정", "正"), ("용", "龍"), ("희", "熙"), ("찬", "燦"),
    ("범", "範"), ("한", "翰"), ("주", "柱"), ("환", "煥"), ("종", "鍾"), ("형", "亨"),
];

/// Given-name syllables (Hangul, Hanja) common in women's names.
#[rustfmt::skip]
pub(super) const FEMALE_SYLLABLES: &[(&str, &str)] = &[
    ("서", "瑞"), ("연", "妍"), ("지", "知"), ("민", "敏"), ("수", "秀"), ("아", "雅"),
    ("은", "恩"), ("영", "英"), ("희", "姬"), ("정", "貞"), ("미", "美"), ("하", "夏"),
    ("윤", "允"), ("유", "柔"), ("진", "眞"), ("경", "京"), ("현", "賢"), ("혜", "惠"),
    ("주", "珠"), ("나", "娜"), ("예", "藝"), ("채", "彩"), ("다", "多"), ("소", "昭"),
    ("선", "善"), ("숙", "淑"), ("순", "順"), ("옥", "玉"), ("인", "仁"), ("빈", "彬"),
];

/// Native Korean given names (고유어 이름), registered without Hanja.
#[rustfmt::skip]
pub(super) const NATIVE_NAMES: &[&str] = &[
    "하늘", "한결", "가람", "다온", "누리", "보람", "이슬", "아름", "슬기", "나래", "한별",
    "새롬", "하람", "온유", "다솜", "예솔", "초롱", "별하",
];

/// Foreign residents' names as registered in Hangul transliteration, with their sex.
pub(super) const FOREIGN_NAMES: &[(&str, bool)] = &[
    ("응우옌 티 란", false),
    ("쩐 반 민", true),
    ("왕웨이", true),
    ("리우팡", false),
    ("마리아 산토스", false),
    ("존 스미스", true),
    ("아나 가르시아", false),
    ("알렉산드르 페트로프", true),
    ("누르 아지자", false),
    ("바트 에르덴", true),
    ("다나카 유키", false),
    ("사토 히로시", true),
];

/// A 시/군/구 with its roads and the postal-code range (국가기초구역번호) it uses.
pub(super) struct District {
    pub(super) sido: &'static str,
    /// Empty for 세종특별자치시, which has no 시/군/구.
    pub(super) sigungu: &'static str,
    pub(super) postal: (u32, u32),
    pub(super) roads: &'static [&'static str],
    pub(super) weight: u32,
}

#[rustfmt::skip]
pub(super) const DISTRICTS: &[District] = &[
    District { sido: "서울특별시", sigungu: "종로구", postal: (3000, 3199), roads: &["세종대로", "율곡로", "자하문로", "창경궁로", "대학로"], weight: 4 },
    District { sido: "서울특별시", sigungu: "마포구", postal: (3900, 4199), roads: &["월드컵로", "양화로", "독막로", "마포대로", "성미산로"], weight: 7 },
    District { sido: "서울특별시", sigungu: "강남구", postal: (6000, 6399), roads: &["테헤란로", "도산대로", "압구정로", "논현로", "선릉로", "개포로"], weight: 9 },
    District { sido: "서울특별시", sigungu: "송파구", postal: (5500, 5899), roads: &["올림픽로", "송파대로", "백제고분로", "위례성대로", "오금로"], weight: 10 },
    District { sido: "서울특별시", sigungu: "노원구", postal: (1600, 1999), roads: &["동일로", "노원로", "상계로", "한글비석로"], weight: 8 },
    District { sido: "서울특별시", sigungu: "관악구", postal: (8700, 8899), roads: &["관악로", "남부순환로", "봉천로", "신림로"], weight: 8 },
    District { sido: "부산광역시", sigungu: "해운대구", postal: (48000, 48199), roads: &["해운대로", "센텀중앙로", "좌동순환로", "달맞이길"], weight: 7 },
    District { sido: "부산광역시", sigungu: "부산진구", postal: (47100, 47399), roads: &["중앙대로", "가야대로", "동평로", "새싹로"], weight: 6 },
    District { sido: "대구광역시", sigungu: "수성구", postal: (42000, 42299), roads: &["달구벌대로", "동대구로", "범어로", "들안로"], weight: 7 },
    District { sido: "인천광역시", sigungu: "연수구", postal: (21900, 22099), roads: &["컨벤시아대로", "센트럴로", "송도과학로", "청능대로"], weight: 6 },
    District { sido: "인천광역시", sigungu: "남동구", postal: (21500, 21799), roads: &["인주대로", "남동대로", "예술로", "구월로"], weight: 7 },
    District { sido: "광주광역시", sigungu: "북구", postal: (61000, 61299), roads: &["용봉로", "북문대로", "서암대로", "설죽로"], weight: 7 },
    District { sido: "대전광역시", sigungu: "유성구", postal: (34000, 34299), roads: &["대학로", "유성대로", "한밭대로", "노은로"], weight: 6 },
    District { sido: "울산광역시", sigungu: "남구", postal: (44600, 44799), roads: &["삼산로", "번영로", "문수로", "돋질로"], weight: 5 },
    District { sido: "세종특별자치시", sigungu: "", postal: (30000, 30199), roads: &["한누리대로", "도움로", "갈매로", "다솜로"], weight: 3 },
    District { sido: "경기도", sigungu: "수원시 영통구", postal: (16400, 16799), roads: &["광교중앙로", "영통로", "봉영로", "청명로"], weight: 9 },
    District { sido: "경기도", sigungu: "성남시 분당구", postal: (13400, 13699), roads: &["판교역로", "분당로", "황새울로", "정자일로"], weight: 9 },
    District { sido: "경기도", sigungu: "고양시 일산동구", postal: (10300, 10499), roads: &["중앙로", "정발산로", "일산로", "무궁화로"], weight: 8 },
    District { sido: "경기도", sigungu: "용인시 수지구", postal: (16800, 16999), roads: &["풍덕천로", "수지로", "포은대로"], weight: 7 },
    District { sido: "강원특별자치도", sigungu: "춘천시", postal: (24200, 24499), roads: &["중앙로", "퇴계로", "공지로", "후석로"], weight: 4 },
    District { sido: "충청북도", sigungu: "청주시 상당구", postal: (28700, 28899), roads: &["상당로", "대성로", "단재로"], weight: 4 },
    District { sido: "충청남도", sigungu: "천안시 동남구", postal: (31100, 31299), roads: &["충절로", "만남로", "청수로"], weight: 4 },
    District { sido: "전북특별자치도", sigungu: "전주시 완산구", postal: (54900, 55099), roads: &["팔달로", "효자로", "기린대로"], weight: 4 },
    District { sido: "전라남도", sigungu: "여수시", postal: (59600, 59899), roads: &["시청로", "좌수영로", "여문로"], weight: 3 },
    District { sido: "경상북도", sigungu: "포항시 남구", postal: (37600, 37899), roads: &["포스코대로", "대송로", "연일로"], weight: 4 },
    District { sido: "경상남도", sigungu: "창원시 성산구", postal: (51400, 51599), roads: &["중앙대로", "원이대로", "창원대로"], weight: 5 },
    District { sido: "제주특별자치도", sigungu: "제주시", postal: (63000, 63399), roads: &["연북로", "노형로", "중앙로", "연삼로"], weight: 4 },
];
