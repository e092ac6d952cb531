//! The desktop app driven through its real screens, headless (iced_test + the tiny-skia
//! renderer). A small harness keeps the widget state between frames (so focus and Tab work as
//! in the window), runs the tasks the app returns (focus changes), and feeds every key event
//! through the same global key map the app subscribes to.

use chrono::DateTime;
use iced_test::core::keyboard::{self, key::Named, Key};
use iced_test::core::widget::operation::{self, Operation, Outcome};
use iced_test::core::{clipboard, mouse, window, Event, Size, SmolStr};
use iced_test::futures::futures::{executor, StreamExt};
use iced_test::runtime::{task, user_interface, Action, Task, UserInterface};
use iced_test::selector::{Candidate, Selector, Target};
use iced_test::Simulator;

use onshi_fallback::config::Config;
use onshi_fallback::domain::intake::IntakeInput;
use onshi_fallback::domain::{Basis, Detection};
use onshi_fallback::gui::{self, app::key_message, App, Launch, Message};
use onshi_fallback::service::{Clock, Records};
use onshi_fallback::store::Store;

type Renderer = iced::Renderer;

const SIZE: Size = Size::new(gui::DESIGN_SIZE.0, gui::DESIGN_SIZE.1);

fn clock() -> Clock {
    Clock::Fixed(DateTime::parse_from_rfc3339("2026-11-25T09:30:00+09:00").unwrap())
}

fn records(store: Store, staff: &str) -> Records {
    Records::new(store, Config::default(), staff, clock())
}

/// The app in a headless window of 1366×768.
struct Harness {
    app: App,
    renderer: Renderer,
    cache: Option<user_interface::Cache>,
    /// Keys pressed since the last reset (for the keystroke budget).
    keys: usize,
}

impl Harness {
    fn new((app, task): (App, Task<Message>)) -> Harness {
        use iced_test::core::renderer::Headless;
        {
            let mut fonts = iced_test::renderer::graphics::text::font_system().write().unwrap();
            fonts.load_font(gui::FONT_BYTES.into());
        }
        let renderer = executor::block_on(<Renderer as Headless>::new(gui::FONT, iced::Pixels(gui::theme::BODY), None)).expect("headless renderer");
        let mut h = Harness { app, renderer, cache: Some(user_interface::Cache::default()), keys: 0 };
        h.run(task);
        h
    }

    fn with_ui<T>(&mut self, f: impl FnOnce(&mut UserInterface<'_, Message, iced::Theme, Renderer>, &mut Renderer) -> T) -> T {
        let Harness { app, renderer, cache, .. } = self;
        let mut ui = UserInterface::build(app.view(), SIZE, cache.take().unwrap(), renderer);
        let out = f(&mut ui, renderer);
        *cache = Some(ui.into_cache());
        out
    }

    /// Delivers events to the widgets, then the global key map (as the subscription would),
    /// then runs `update` on every message and the tasks it returns.
    fn send(&mut self, events: Vec<Event>) {
        let mut messages = Vec::new();
        let statuses = self.with_ui(|ui, r| ui.update(&events, mouse::Cursor::Unavailable, r, &mut clipboard::Null, &mut messages).1);
        for (e, s) in events.into_iter().zip(statuses) {
            messages.extend(key_message(e, s, window::Id::unique()));
        }
        for m in messages {
            let t = self.app.update(m);
            self.run(t);
        }
    }

    fn run(&mut self, task: Task<Message>) {
        let Some(stream) = task::into_stream(task) else { return };
        let actions: Vec<Action<Message>> = executor::block_on(stream.collect());
        for action in actions {
            match action {
                Action::Output(m) => {
                    let t = self.app.update(m);
                    self.run(t);
                }
                Action::Widget(op) => {
                    let mut current = Some(op);
                    while let Some(mut op) = current.take() {
                        self.with_ui(|ui, r| ui.operate(r, op.as_mut()));
                        if let Outcome::Chain(next) = op.finish() {
                            current = Some(next);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn key(&mut self, key: Key) {
        self.keys += 1;
        self.send(vec![press(key.clone(), None), release(key)]);
    }

    fn named(&mut self, key: Named) {
        self.key(Key::Named(key));
    }

    /// Types text into the focused field (each character a key event with its text).
    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let s = SmolStr::new(c.to_string());
            self.send(vec![press(Key::Character(s.clone()), Some(s.clone())), release(Key::Character(s))]);
        }
    }

    fn tab_to(&mut self, text: &str) {
        self.named(Named::Tab);
        self.type_text(text);
    }

    /// Every text on screen (labels and the contents of inputs).
    fn texts(&mut self) -> Vec<String> {
        let selector = |c: Candidate<'_>| match Target::from(c) {
            Target::Text { content, .. } | Target::TextInput { content, .. } => Some(content),
            _ => None,
        };
        let mut op = selector.find_all();
        self.with_ui(|ui, r| ui.operate(r, &mut operation::black_box(&mut op)));
        match op.finish() {
            Outcome::Some(v) => v,
            _ => Vec::new(),
        }
    }

    fn shows(&mut self, needle: &str) -> bool {
        self.texts().iter().any(|t| t.contains(needle))
    }

    fn focused(&mut self) -> Option<String> {
        let mut op = iced_test::selector::is_focused().find();
        self.with_ui(|ui, r| ui.operate(r, &mut operation::black_box(&mut op)));
        match op.finish() {
            Outcome::Some(Some(Target::TextInput { id, .. } | Target::Focusable { id, .. })) => id.map(|id| format!("{id:?}")),
            _ => None,
        }
    }

    fn records(&self) -> &Records {
        self.app.records().expect("records open")
    }

    /// A snapshot compared with the committed PNG (created on first run).
    fn snapshot_matches(&self, name: &str) -> bool {
        let mut sim: Simulator<'_, Message, iced::Theme, Renderer> = Simulator::with_size(gui::settings(), SIZE, self.app.view());
        let snap = sim.snapshot(&gui::theme::theme()).expect("snapshot");
        let path = format!("{}/tests/snapshots/{name}", env!("CARGO_MANIFEST_DIR"));
        snap.matches_image(&path).expect("compare snapshot")
    }
}

fn press(key: Key, text: Option<SmolStr>) -> Event {
    Event::Keyboard(keyboard::Event::KeyPressed {
        key: key.clone(),
        modified_key: key,
        physical_key: keyboard::key::Physical::Unidentified(keyboard::key::NativeCode::Unidentified),
        location: keyboard::Location::Standard,
        modifiers: keyboard::Modifiers::default(),
        repeat: false,
        text,
    })
}

fn release(key: Key) -> Event {
    Event::Keyboard(keyboard::Event::KeyReleased {
        key: key.clone(),
        modified_key: key,
        physical_key: keyboard::key::Physical::Unidentified(keyboard::key::NativeCode::Unidentified),
        location: keyboard::Location::Standard,
        modifiers: keyboard::Modifiers::default(),
    })
}

fn sample_patient(r: &mut Records, name: &str, kana: &str, birth: &str, insurer: &str) {
    let input: IntakeInput = serde_json::from_value(serde_json::json!({
        "patient": {"name": name, "kana": kana, "birth_date": birth, "sex": "male", "address": "東京都港区新橋1-1-1", "phone": "03-0000-0000"},
        "insurance": {"kind": "shaho", "insurer_number": insurer, "symbol": "12-34", "number": "5678", "branch": "1",
                      "relationship": "self", "insurer_name": "協会けんぽ東京支部", "employer": "株式会社テスト", "copay_percent": 30},
        "basis": "self_declaration"
    }))
    .unwrap();
    r.intake(&input).unwrap();
}

#[test]
fn new_patient_form_marks_a_bad_check_digit_then_saves_into_todays_list() {
    let r = records(Store::open_in_memory().unwrap(), "受付 佐藤");
    let mut h = Harness::new(App::ready(r));
    assert!(h.focused().is_some_and(|id| id.contains("reception-search")), "{:?}", h.focused());

    // F7 opens the 申立書 with the cursor in 氏名; Tab walks the paper form's order.
    h.named(Named::F7);
    assert!(h.shows("新規患者（被保険者資格申立書）"));
    h.type_text("山田 花子");
    h.tab_to("やまだ はなこ");
    h.tab_to("S50.4.1");
    h.tab_to("2");
    h.tab_to("東京都港区芝公園4-2-8");
    h.tab_to("０３－１２３４－５６７８");
    h.tab_to("1");
    // A full-width insurer number with a wrong check digit (…12 is right).
    h.tab_to("０１１３００１３");
    assert!(h.texts().iter().any(|t| t.starts_with("× ") && t.contains("検証番号")), "no check-digit error shown: {:?}", h.texts());
    h.tab_to("12-34");
    h.tab_to("5678");
    h.tab_to("1");
    h.tab_to("1");
    h.tab_to("協会けんぽ東京支部");
    h.tab_to("株式会社テスト");
    h.tab_to("3");
    assert!(h.shows("要修正 1 件"));

    // Enter with an error goes back to the bad field rather than saving.
    h.named(Named::Enter);
    assert!(h.shows("新規患者（被保険者資格申立書）"));
    assert_eq!(h.records().visits(None).unwrap().len(), 0);
    // Fix it in place: the focus is on 保険者番号 now.
    for _ in 0..8 {
        h.named(Named::Backspace);
    }
    h.type_text("０１１３００１２");
    assert!(!h.texts().iter().any(|t| t.contains("検証番号")));
    assert!(h.shows("入力に誤りはありません"));

    h.named(Named::Enter);
    let visits = h.records().visits(None).unwrap();
    assert_eq!(visits.len(), 1);
    let v = &visits[0];
    assert_eq!(v.patient_name, "山田 花子");
    assert_eq!(v.patient_kana, "ヤマダ ハナコ");
    assert_eq!(v.visit.created_by, "受付 佐藤");
    assert_eq!(v.insurance.as_ref().unwrap().insurance.insurer_number.as_deref(), Some("01130012"));
    // Back on reception: the receipt and today's list show the visit.
    assert!(h.shows(&format!("受付しました: 受付番号 {}", v.visit.visit_no)));
    let texts = h.texts();
    assert!(texts.iter().any(|t| t == "山田 花子"), "{texts:?}");
    assert!(texts.iter().any(|t| *t == v.visit.visit_no));
}

#[test]
fn a_returning_patient_takes_two_keys_after_the_search() {
    let mut r = records(Store::open_in_memory().unwrap(), "受付 鈴木");
    sample_patient(&mut r, "山田 太郎", "ヤマダ タロウ", "S45.3.1", "01130012");
    sample_patient(&mut r, "田中 一郎", "タナカ イチロウ", "H2.5.5", "06139992");
    let before = r.visits(None).unwrap().len();
    let mut h = Harness::new(App::ready(r));

    // Search as you type, in hiragana; the search box has focus from the start.
    h.type_text("やまだ");
    assert!(h.shows("山田 太郎  ヤマダ タロウ"));
    h.keys = 0;
    h.named(Named::Enter); // shows the last known insurance and when it was last confirmed
    assert!(h.texts().iter().any(|t| t == "前回の保険"));
    assert!(h.shows("社保 01130012"));
    assert!(h.shows("最終確認"));
    h.named(Named::Enter); // records "no change"
    assert!(h.keys <= 4, "{} keys", h.keys);
    assert_eq!(h.keys, 2);

    let visits = h.records().visits(None).unwrap();
    assert_eq!(visits.len(), before + 1);
    let v = visits.last().unwrap();
    assert_eq!(v.patient_name, "山田 太郎");
    assert_eq!(v.visit.basis, Basis::ReturningNoChange.as_str());
    assert_eq!(v.visit.created_by, "受付 鈴木");
    assert!(h.shows("再診・変更なし"));
}

#[test]
fn arrows_pick_another_hit_and_escape_backs_out() {
    let mut r = records(Store::open_in_memory().unwrap(), "受付");
    sample_patient(&mut r, "山田 太郎", "ヤマダ タロウ", "S45.3.1", "01130012");
    sample_patient(&mut r, "山田 次郎", "ヤマダ ジロウ", "S47.3.1", "01130012");
    let mut h = Harness::new(App::ready(r));
    h.type_text("ヤマダ");
    // The hits in screen order ("山田 次郎  ヤマダ ジロウ" ...).
    let listed: Vec<String> = h.texts().into_iter().filter(|t| t.starts_with("山田 ") && t.contains("  ヤマダ")).collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let second_name = listed[1].split("  ").next().unwrap().to_string();
    h.named(Named::ArrowDown);
    h.named(Named::Enter);
    assert!(h.texts().iter().any(|t| t == "前回の保険"));
    assert!(h.texts().iter().any(|t| t.starts_with(&format!("{second_name}（"))), "{:?}", h.texts());
    // Esc closes the shown patient, a second Esc clears the search.
    h.named(Named::Escape);
    assert!(!h.texts().iter().any(|t| t == "前回の保険"));
    assert!(h.shows("↑↓ で選択"));
    h.named(Named::Escape);
    assert!(!h.shows("↑↓ で選択"));
    assert!(h.shows("検索語を入力してください"));
    assert_eq!(h.records().visits(None).unwrap().len(), 2, "nothing recorded by looking");
}

#[test]
fn f9_reason_enter_switches_mode_and_the_banner_turns_red() {
    let r = records(Store::open_in_memory().unwrap(), "受付 佐藤");
    let mut h = Harness::new(App::ready(r));
    assert!(h.shows("通常モード"));
    h.keys = 0;
    h.named(Named::F9);
    h.type_text("資格確認端末がエラー");
    h.named(Named::Enter);
    assert_eq!(h.keys, 2, "two keystrokes plus the reason");
    assert!(h.shows("障害モード: オンライン資格確認 停止中"));
    assert!(h.shows("理由: 資格確認端末がエラー"));
    assert!(h.shows("停止: オンライン資格確認・電子処方箋"));
    assert!(h.shows("照合待ち 0 件"));
    let status = h.records().status().unwrap();
    assert_eq!(status.outage.unwrap().started_by, "受付 佐藤");

    // F9 again records the return.
    h.named(Named::F9);
    h.named(Named::Enter);
    assert!(h.shows("通常モード"));
    assert!(h.records().status().unwrap().outage.is_none());
}

#[test]
fn a_switch_made_elsewhere_shows_up_on_the_next_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite3");
    let r = records(Store::open(&path).unwrap(), "受付");
    let mut h = Harness::new(App::ready(r));
    assert!(h.shows("通常モード"));
    // The command line (another process, same file) declares an outage.
    let mut other = records(Store::open(&path).unwrap(), "watcher");
    other.outage_start("自動検知: 応答なし", &[], Detection::Probe).unwrap();
    h.send(vec![]);
    let t = h.app.update(Message::Tick);
    h.run(t);
    assert!(h.shows("障害モード: オンライン資格確認 停止中"));
    assert!(h.shows("自動検知"));
}

#[test]
fn the_start_screen_names_who_is_at_the_desk() {
    let r = records(Store::open_in_memory().unwrap(), "");
    let mut h = Harness::new(App::start(r, None));
    assert!(h.shows("受付担当者の名前を入力して Enter を押してください"));
    h.named(Named::Enter);
    assert!(h.shows("受付担当者の名前を入力してください"));
    h.type_text("高橋");
    h.named(Named::Enter);
    assert!(h.shows("受付担当: 高橋"));
    assert_eq!(h.records().actor, "高橋");
}

#[test]
fn a_database_that_cannot_be_opened_gets_a_screen_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.sqlite3");
    std::fs::write(&path, b"this is not a database at all, it is garbage ".repeat(200)).unwrap();
    let launch = Launch { db_path: path, config_path: None, staff: None, clock: clock() };
    let mut h = Harness::new(App::boot(launch));
    assert!(h.shows("データベースを開けません"));
    assert!(h.shows("最新のバックアップ"));
    assert!(!h.shows("not a database"), "staff read Japanese only: {:?}", h.texts());
}

#[test]
fn screens_switch_with_function_keys() {
    let r = records(Store::open_in_memory().unwrap(), "受付");
    let mut h = Harness::new(App::ready(r));
    h.named(Named::F2);
    assert!(h.shows("準備中"));
    h.named(Named::F4);
    assert!(h.shows("対応手順チェックリスト"));
    assert!(h.shows("現在: 通常モード"));
    h.named(Named::F1);
    assert!(h.shows("患者検索"));
}

#[test]
fn snapshots_of_reception_and_the_degraded_banner() {
    let mut r = records(Store::open_in_memory().unwrap(), "受付 佐藤");
    sample_patient(&mut r, "山田 太郎", "ヤマダ タロウ", "S45.3.1", "01130012");
    sample_patient(&mut r, "山田 次郎", "ヤマダ ジロウ", "S47.3.1", "01130012");
    sample_patient(&mut r, "田中 一郎", "タナカ イチロウ", "H2.5.5", "06139992");
    let mut h = Harness::new(App::ready(r));
    h.type_text("やまだ");
    assert!(h.snapshot_matches("reception"), "reception snapshot differs (delete tests/snapshots/reception-*.png to re-create, then look at it)");

    h.named(Named::F9);
    h.type_text("資格確認端末がエラー");
    h.named(Named::Enter);
    h.named(Named::Enter); // show the first patient's last insurance
    assert!(h.texts().iter().any(|t| t == "前回の保険"));
    assert!(h.snapshot_matches("degraded"), "degraded snapshot differs (delete tests/snapshots/degraded-*.png to re-create, then look at it)");
}

#[test]
fn esc_on_a_filled_form_asks_before_discarding() {
    let r = records(Store::open_in_memory().unwrap(), "受付");
    let mut h = Harness::new(App::ready(r));
    h.named(Named::F7);
    h.type_text("佐藤 花子");
    h.named(Named::Escape);
    assert!(h.shows("入力を破棄しますか"));
    assert!(h.shows("新規患者（被保険者資格申立書）"));
    h.named(Named::Escape);
    assert!(h.shows("患者検索"));
    // An empty form closes at once; 不詳 is one choice in the form.
    h.named(Named::F7);
    h.named(Named::Escape);
    assert!(h.shows("患者検索"));
}

#[test]
fn fushou_is_one_choice_and_saves() {
    let r = records(Store::open_in_memory().unwrap(), "受付");
    let mut h = Harness::new(App::ready(r));
    h.named(Named::F7);
    h.type_text("不明 太郎");
    h.tab_to("ふめい たろう");
    h.tab_to("1980-01-01");
    h.tab_to("1");
    h.tab_to("大阪府大阪市北区1-1");
    h.tab_to("");
    h.tab_to("9");
    assert!(h.shows("不詳"));
    h.named(Named::Enter);
    let visits = h.records().visits(None).unwrap();
    assert_eq!(visits.len(), 1, "{:?}", h.texts());
    assert!(visits[0].insurance.as_ref().unwrap().insurance.is_fushou());
    assert!(h.shows("不詳（"));
}

#[test]
fn the_outage_screen_shows_the_open_outage_and_ends_it() {
    let mut r = records(Store::open_in_memory().unwrap(), "受付 佐藤");
    r.outage_start("資格確認端末がエラー", &[], Detection::Staff).unwrap();
    let mut h = Harness::new(App::ready(r));
    h.named(Named::F4);
    assert!(h.shows("現在: 障害モード（オンライン資格確認 停止中）"));
    assert!(h.shows("理由: 資格確認端末がエラー"));
    assert!(h.shows("停止中のサービス: オンライン資格確認・電子処方箋"));
    // The note field has focus: type and Enter records the return.
    h.type_text("端末再起動で回復");
    h.named(Named::Enter);
    assert!(h.shows("回線の復旧を記録しました"));
    assert!(h.shows("現在: 通常モード"));
    assert!(h.shows("通常モード（オンライン資格確認 利用可）"));
    let log = h.records().outage_log().unwrap();
    assert_eq!(log[0].outage.end_note, "端末再起動で回復");
    // And start one again from here, with the reason typed.
    h.named(Named::F4);
    h.type_text("回線断");
    h.named(Named::Enter);
    assert!(h.shows("障害モード: オンライン資格確認 停止中"));
}

#[test]
fn tab_walks_the_form_in_paper_order_and_shift_tab_walks_back() {
    use onshi_fallback::gui::new_patient::Field;
    let r = records(Store::open_in_memory().unwrap(), "受付");
    let mut h = Harness::new(App::ready(r));
    h.named(Named::F7);
    let order = Field::all();
    for (n, field) in order.iter().enumerate() {
        let focused = h.focused().unwrap_or_default();
        assert!(focused.contains(&format!("\"{}\"", field.id())), "step {n}: expected {} ({}), focus on {focused}", field.label(), field.id());
        if n + 1 < order.len() {
            h.named(Named::Tab);
        }
    }
    let shift_tab = |h: &mut Harness| {
        let mut mods = keyboard::Modifiers::default();
        mods.insert(keyboard::Modifiers::SHIFT);
        let key = Key::Named(Named::Tab);
        h.send(vec![Event::Keyboard(keyboard::Event::KeyPressed {
            key: key.clone(),
            modified_key: key,
            physical_key: keyboard::key::Physical::Unidentified(keyboard::key::NativeCode::Unidentified),
            location: keyboard::Location::Standard,
            modifiers: mods,
            repeat: false,
            text: None,
        })]);
    };
    shift_tab(&mut h);
    let focused = h.focused().unwrap_or_default();
    assert!(focused.contains(&format!("\"{}\"", order[order.len() - 2].id())), "{focused}");
}

#[test]
fn many_hits_ask_for_a_narrower_search_and_still_fit() {
    let mut r = records(Store::open_in_memory().unwrap(), "受付");
    for n in 1..=9 {
        sample_patient(&mut r, &format!("山田 {n}郎"), "ヤマダ タロウ", &format!("S4{n}.3.1"), "01130012");
    }
    let mut h = Harness::new(App::ready(r));
    h.type_text("やまだ");
    assert!(h.shows("絞り込んでください"));
    let listed = h.texts().into_iter().filter(|t| t.starts_with("山田 ") && t.contains("  ヤマダ")).count();
    assert_eq!(listed, onshi_fallback::gui::reception::HIT_LIMIT);
    h.type_text(" S43.3.1");
    assert!(h.shows("1 名 — ↑↓ で選択"));
    assert!(h.shows("山田 3郎  ヤマダ タロウ"));
}

#[test]
fn the_app_start_makes_the_daily_backup_and_a_broken_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clinic.sqlite3");
    let launch = Launch { db_path: path.clone(), config_path: None, staff: Some("受付".into()), clock: clock() };
    let h = Harness::new(App::boot(launch.clone()));
    drop(h);
    let backups: Vec<_> = std::fs::read_dir(dir.path().join("backups")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    assert!(backups.iter().any(|b| b.contains("20261125")), "{backups:?}");

    // The file is damaged: the screen names the latest backup and how to restore it.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::write(&path, b"garbage, not a database ".repeat(500)).unwrap();
    let mut h = Harness::new(App::boot(launch));
    assert!(h.shows("データベースを開けません"));
    assert!(h.shows("最新のバックアップを復元してください"));
    assert!(h.shows("onshi-fallback restore"));
    assert!(h.texts().iter().any(|t| t.contains("20261125")), "{:?}", h.texts());
}
