//! The reader's language: English or Korean. Both report pages (`index.html`,
//! `index.ko.html`) are always written; a command's `--lang` picks the language of the words
//! drawn inside the figures.
//!
//! Text a reader sees is written as a pair at the place it is used ([`Text`] for fixed words,
//! [`Lang::pick`] for formatted sentences), so the two languages cannot drift apart. The
//! Korean is our own, in the terms of the Korean edition (가중치, 은닉층, 출력 뉴런, …).

use crate::spec::DataKind;

/// A language of the report and figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Korean.
    Ko,
}

impl Lang {
    /// Both languages, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The language's code as HTML's `lang` attribute takes it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The report page in this language: `index.html` or `index.ko.html`.
    pub fn index_file(self) -> &'static str {
        match self {
            Lang::En => "index.html",
            Lang::Ko => "index.ko.html",
        }
    }

    /// `en` in English, `ko` in Korean.
    pub fn pick<T>(self, en: T, ko: T) -> T {
        match self {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }

    /// The class names of `data` as this language's reader reads them: CIFAR-10's own names
    /// in Korean for Korean, everything else (digits, names a user gave) as it is.
    pub fn classes(self, data: &DataKind, classes: &[String]) -> Vec<String> {
        let ko = crate::draw::classes_ko(data, classes);
        if self == Lang::Ko && !ko.is_empty() {
            ko
        } else {
            classes.to_vec()
        }
    }
}

/// Fixed words in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    /// English.
    pub en: &'static str,
    /// Korean.
    pub ko: &'static str,
}

impl Text {
    /// A pair of translations.
    pub const fn new(en: &'static str, ko: &'static str) -> Text {
        Text { en, ko }
    }

    /// The words in `lang`.
    pub fn get(self, lang: Lang) -> &'static str {
        lang.pick(self.en, self.ko)
    }
}

/// Words in both languages that were formatted at run time (a caption naming a network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// English.
    pub en: String,
    /// Korean.
    pub ko: String,
}

impl Words {
    /// The words in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.ko)
    }
}

impl From<Text> for Words {
    fn from(t: Text) -> Words {
        Words {
            en: t.en.to_string(),
            ko: t.ko.to_string(),
        }
    }
}

/// The words a verdict is read as on the page.
pub fn verdict_word(v: crate::claims::Verdict, lang: Lang) -> &'static str {
    use crate::claims::Verdict;
    match v {
        Verdict::Holds => Text::new("holds", "성립"),
        Verdict::Partly => Text::new("partly", "부분적으로 성립"),
        Verdict::Fails => Text::new("fails", "성립하지 않음"),
    }
    .get(lang)
}

/// `&`, `<`, `>` and `"` escaped for HTML text and attributes.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
