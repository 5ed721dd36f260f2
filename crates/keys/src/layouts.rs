//! The keyboard layouts a user can choose: the one list the `kbd` command, its help
//! and the decoder all read.

use pc_keyboard::layouts::{
    AnyLayout, Azerty, Colemak, De105Key, Dvorak104Key, Uk105Key, Us104Key,
};

/// A selectable layout.
pub struct Layout {
    /// Short name, as typed after `kbd`.
    pub name: &'static str,
    /// What it is, for `kbd` without arguments.
    pub description: &'static str,
    make: fn() -> AnyLayout,
}

impl Layout {
    pub(crate) fn build(&self) -> AnyLayout {
        (self.make)()
    }
}

/// Every layout, the default (US) first.
pub static LAYOUTS: &[Layout] = &[
    Layout {
        name: "us",
        description: "US English (104 keys)",
        make: || AnyLayout::Us104Key(Us104Key),
    },
    Layout {
        name: "uk",
        description: "UK English (105 keys)",
        make: || AnyLayout::Uk105Key(Uk105Key),
    },
    Layout {
        name: "de",
        description: "German (105 keys)",
        make: || AnyLayout::De105Key(De105Key),
    },
    Layout {
        name: "fr",
        description: "French AZERTY",
        make: || AnyLayout::Azerty(Azerty),
    },
    Layout {
        name: "dvorak",
        description: "US Dvorak",
        make: || AnyLayout::Dvorak104Key(Dvorak104Key),
    },
    Layout {
        name: "colemak",
        description: "Colemak",
        make: || AnyLayout::Colemak(Colemak),
    },
];

/// The layout called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Layout> {
    LAYOUTS.iter().find(|l| l.name == name)
}

/// The names separated by `sep` (e.g. "us|uk|de|fr|dvorak|colemak" for a usage line).
pub fn layout_names(sep: &'static str) -> impl core::fmt::Display {
    struct Names(&'static str);
    impl core::fmt::Display for Names {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            for (i, l) in LAYOUTS.iter().enumerate() {
                if i > 0 {
                    f.write_str(self.0)?;
                }
                f.write_str(l.name)?;
            }
            Ok(())
        }
    }
    Names(sep)
}
