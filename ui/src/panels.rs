//! Panels over the map: inventory, crafting, vault, trade, the chat line, and the aiming cursor.
//! Each turns keys into the same [`Intent`]s the rest of the game uses.

use std::collections::BTreeMap;

use crossterm::event::{Event, KeyCode, KeyEvent};
use game::ability::Target;
use game::craft::{GearStats, Recipe};
use game::economy::{Goods, ItemId, Stack};
use game::ore::{Attributes, SpawnId};
use game::protocol::{ItemView, StackView};
use game::{Action, Pos, TradeInput};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::{App, Intent};

/// How the inventory sorts ore.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Sort {
    Name,
    Class,
    Units,
    /// By one attribute (index into OQ CD DR HR MA PE SR UT), best first.
    Attr(usize),
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Name => Sort::Class,
            Sort::Class => Sort::Units,
            Sort::Units => Sort::Attr(0),
            Sort::Attr(7) => Sort::Name,
            Sort::Attr(i) => Sort::Attr(i + 1),
        }
    }

    pub fn label(self) -> String {
        match self {
            Sort::Name => "name".into(),
            Sort::Class => "class".into(),
            Sort::Units => "units".into(),
            Sort::Attr(i) => game::ore::Attr::ALL[i].code().into(),
        }
    }
}

/// A panel and its cursor.
#[derive(Clone, Debug)]
pub enum Panel {
    Inventory {
        selected: usize,
        sort: Sort,
    },
    /// `on_vault`: the cursor is in the vault column (else the pack column).
    Vault {
        on_vault: bool,
        selected: usize,
    },
    /// First a recipe is chosen, then units from stacks (spawn id → units).
    Craft {
        recipe: Option<Recipe>,
        selected: usize,
        picks: BTreeMap<u32, u32>,
    },
    Trade {
        selected: usize,
    },
    Chat(Input),
    /// Choosing a cell for ability `slot`.
    Aim {
        slot: u8,
        cursor: Pos,
    },
    /// Look mode: a cursor that says what is where; Enter walks there.
    Look {
        cursor: Pos,
    },
    /// The class's talents, row `tier * 2 + pick`.
    Talents {
        selected: usize,
    },
}

impl Panel {
    pub fn inventory() -> Panel {
        Panel::Inventory {
            selected: 0,
            sort: Sort::Name,
        }
    }

    pub fn vault() -> Panel {
        Panel::Vault {
            on_vault: false,
            selected: 0,
        }
    }

    pub fn craft() -> Panel {
        Panel::Craft {
            recipe: None,
            selected: 0,
            picks: BTreeMap::new(),
        }
    }
}

/// Stacks in the order the inventory shows them.
pub fn sorted(stacks: &[StackView], sort: Sort) -> Vec<StackView> {
    let mut out = stacks.to_vec();
    match sort {
        Sort::Name => out.sort_by(|a, b| a.name.cmp(&b.name)),
        Sort::Class => out.sort_by(|a, b| b.class.cmp(&a.class).then(a.name.cmp(&b.name))),
        Sort::Units => out.sort_by(|a, b| b.units.cmp(&a.units).then(a.name.cmp(&b.name))),
        Sort::Attr(i) => out.sort_by(|a, b| b.attrs[i].cmp(&a.attrs[i]).then(a.name.cmp(&b.name))),
    }
    out
}

/// What crafting `recipe` from `picks` would make: (units picked, quality and stats if any).
pub fn craft_preview(
    recipe: Recipe,
    stacks: &[StackView],
    picks: &BTreeMap<u32, u32>,
) -> (u32, Option<(u16, GearStats)>) {
    let inputs: Vec<(Attributes, u32)> = stacks
        .iter()
        .filter_map(|s| {
            let units = *picks.get(&s.spawn)?;
            (units > 0).then_some((Attributes(s.attrs), units))
        })
        .collect();
    let total = inputs.iter().map(|(_, u)| u).sum();
    let made = game::craft::quality(recipe, &inputs).map(|q| (q, recipe.stats(q)));
    (total, made)
}

fn stack_of(s: &StackView, units: u32) -> Stack {
    Stack {
        spawn: SpawnId(s.spawn),
        units,
    }
}

fn step(selected: &mut usize, len: usize, key: KeyCode) -> bool {
    match key {
        KeyCode::Up => *selected = selected.saturating_sub(1),
        KeyCode::Down => *selected = (*selected + 1).min(len.saturating_sub(1)),
        _ => return false,
    }
    true
}

impl App {
    pub(crate) fn panel_key(&mut self, key: KeyEvent) -> Option<Intent> {
        let mut panel = self.panel.take()?;
        if key.code == KeyCode::Esc
            && !matches!(
                panel,
                Panel::Craft {
                    recipe: Some(_),
                    ..
                }
            )
        {
            return None; // closed
        }
        let intent = match &mut panel {
            Panel::Inventory { selected, sort } => self.inventory_key(key, selected, sort),
            Panel::Vault { on_vault, selected } => self.vault_key(key, on_vault, selected),
            Panel::Craft {
                recipe,
                selected,
                picks,
            } => {
                let intent = self.craft_key(key, recipe, selected, picks);
                if intent.is_some() {
                    return intent; // crafting starts: the panel closes
                }
                None
            }
            Panel::Trade { selected } => self.trade_panel_key(key, selected),
            Panel::Talents { selected } => {
                if step(selected, 6, key.code) {
                    None
                } else if key.code == KeyCode::Enter {
                    let intent = self.talent_key(*selected);
                    if intent.is_some() {
                        return intent; // chosen: the panel closes
                    }
                    None
                } else {
                    None
                }
            }
            Panel::Chat(input) => match key.code {
                KeyCode::Enter => {
                    let text = input.value().trim().to_owned();
                    return self.chat_line(&text);
                }
                _ => {
                    input.handle_event(&Event::Key(key));
                    None
                }
            },
            Panel::Look { cursor } => {
                if let Some(dir) = self.keys.direction_for(&key) {
                    let next = cursor.step(dir);
                    if next.x >= 0
                        && next.y >= 0
                        && (next.x as u16) < self.view.width
                        && (next.y as u16) < self.view.height
                    {
                        *cursor = next;
                    }
                    None
                } else if key.code == KeyCode::Enter {
                    let goal = crate::travel::Goal::Cell(*cursor);
                    let intent = self.walk(goal);
                    return self.sent(intent);
                } else {
                    None
                }
            }
            Panel::Aim { slot, cursor } => {
                if let Some(dir) = self.keys.direction_for(&key) {
                    let next = cursor.step(dir);
                    if self.view.tile(next).is_some() {
                        *cursor = next;
                    }
                    None
                } else if key.code == KeyCode::Enter
                    || key.code == KeyCode::Char(char::from(b'1' + *slot))
                {
                    let intent = Intent::Act(Action::Ability {
                        slot: *slot,
                        target: Target::Cell(*cursor),
                    });
                    return Some(intent);
                } else {
                    None
                }
            }
        };
        self.panel = Some(panel);
        intent
    }

    /// Enter on talent row `row`: learns it when its tier is the one due, else says why not.
    fn talent_key(&mut self, row: usize) -> Option<Intent> {
        let me = self.view.me.as_ref()?;
        let (tier, pick) = ((row / 2) as u8, (row % 2) as u8);
        let level = game::talent::TALENT_LEVELS[usize::from(tier)];
        if let Some(chosen) = me.talents[usize::from(tier)] {
            let name = me.class.talent(tier, chosen).map_or("", |t| t.name);
            self.notice = Some(format!(
                "You chose {name} at level {level}: a choice is for good."
            ));
            return None;
        }
        if me.level < level {
            self.notice = Some(format!("That talent opens at level {level}."));
            return None;
        }
        Some(Intent::Act(Action::Learn { tier, pick }))
    }

    fn inventory_key(
        &mut self,
        key: KeyEvent,
        selected: &mut usize,
        sort: &mut Sort,
    ) -> Option<Intent> {
        let stacks = sorted(&self.view.pack.stacks, *sort);
        let items = &self.view.pack.items;
        if step(selected, stacks.len() + items.len(), key.code) {
            return None;
        }
        let chosen_stack = stacks.get(*selected);
        let chosen_item = selected
            .checked_sub(stacks.len())
            .and_then(|i| items.get(i));
        match key.code {
            KeyCode::Char('s') => {
                *sort = sort.next();
                None
            }
            KeyCode::Char('d') => {
                let goods = match (chosen_stack, chosen_item) {
                    (Some(s), _) => Goods {
                        stacks: vec![stack_of(s, s.units)],
                        items: vec![],
                    },
                    (None, Some(i)) => Goods {
                        stacks: vec![],
                        items: vec![ItemId(i.id)],
                    },
                    _ => return None,
                };
                Some(Intent::Act(Action::Drop(goods)))
            }
            KeyCode::Char('e') => {
                let item: &ItemView = chosen_item?;
                if item.usable.is_some() {
                    return Some(Intent::Act(Action::Use(ItemId(item.id))));
                }
                let recipe = item.recipe?;
                Some(Intent::Act(if item.equipped {
                    Action::Unequip(recipe.def().slot)
                } else {
                    Action::Equip(ItemId(item.id))
                }))
            }
            _ => None,
        }
    }

    fn vault_key(
        &mut self,
        key: KeyEvent,
        on_vault: &mut bool,
        selected: &mut usize,
    ) -> Option<Intent> {
        let column = if *on_vault {
            &self.view.vault
        } else {
            &self.view.pack.stacks
        };
        if step(selected, column.len(), key.code) {
            return None;
        }
        match key.code {
            KeyCode::Left | KeyCode::Right | KeyCode::Tab => {
                *on_vault = !*on_vault;
                *selected = 0;
                None
            }
            KeyCode::Enter | KeyCode::Char('h') => {
                let s = column.get(*selected)?;
                let units = if key.code == KeyCode::Enter {
                    s.units
                } else {
                    s.units.div_ceil(2)
                };
                let stacks = vec![stack_of(s, units)];
                Some(Intent::Act(if *on_vault {
                    Action::Withdraw(stacks)
                } else {
                    Action::Deposit(stacks)
                }))
            }
            _ => None,
        }
    }

    /// The crafting panel: first a recipe, then units from stacks; Enter crafts.
    fn craft_key(
        &mut self,
        key: KeyEvent,
        recipe: &mut Option<Recipe>,
        selected: &mut usize,
        picks: &mut BTreeMap<u32, u32>,
    ) -> Option<Intent> {
        let Some(chosen) = *recipe else {
            if !step(selected, Recipe::ALL.len(), key.code) && key.code == KeyCode::Enter {
                *recipe = Recipe::ALL.get(*selected).copied();
                *selected = 0;
                picks.clear();
            }
            return None;
        };
        if key.code == KeyCode::Esc {
            *recipe = None;
            *selected = 0;
            return None;
        }
        let stacks = &self.view.pack.stacks;
        if step(selected, stacks.len(), key.code) {
            return None;
        }
        let needed = chosen.def().units;
        let picked: u32 = picks.values().sum();
        let s = stacks.get(*selected)?;
        let have = picks.get(&s.spawn).copied().unwrap_or(0);
        match key.code {
            KeyCode::Right | KeyCode::Char('+') | KeyCode::Char('l')
                if have < s.units && picked < needed =>
            {
                picks.insert(s.spawn, have + 1);
            }
            KeyCode::Left | KeyCode::Char('-') | KeyCode::Char('h') if have > 0 => {
                picks.insert(s.spawn, have - 1);
            }
            KeyCode::Char(' ') => {
                let more = (needed - picked).min(s.units - have);
                picks.insert(s.spawn, have + more);
            }
            KeyCode::Enter if picked != needed => {
                self.notice = Some(format!(
                    "A {} takes {needed} units: {picked} chosen.",
                    chosen.def().name
                ));
            }
            KeyCode::Enter => {
                let used = stacks
                    .iter()
                    .filter_map(|s| {
                        let units = *picks.get(&s.spawn)?;
                        (units > 0).then(|| stack_of(s, units))
                    })
                    .collect();
                return Some(Intent::Act(Action::Craft {
                    recipe: chosen,
                    stacks: used,
                }));
            }
            _ => {}
        }
        None
    }

    fn trade_panel_key(&mut self, key: KeyEvent, selected: &mut usize) -> Option<Intent> {
        let trade = self.view.trade.clone()?;
        let stacks = &self.view.pack.stacks;
        let items = &self.view.pack.items;
        if step(selected, stacks.len() + items.len(), key.code) {
            return None;
        }
        let mut goods = Goods {
            stacks: trade
                .mine
                .stacks
                .iter()
                .map(|s| stack_of(s, s.units))
                .collect(),
            items: trade.mine.items.iter().map(|i| ItemId(i.id)).collect(),
        };
        match key.code {
            KeyCode::Char(' ') => {
                if let Some(s) = stacks.get(*selected) {
                    let spawn = SpawnId(s.spawn);
                    if goods.stacks.iter().any(|g| g.spawn == spawn) {
                        goods.stacks.retain(|g| g.spawn != spawn);
                    } else {
                        goods.stacks.push(stack_of(s, s.units));
                    }
                } else if let Some(i) = selected
                    .checked_sub(stacks.len())
                    .and_then(|i| items.get(i))
                {
                    let id = ItemId(i.id);
                    if goods.items.contains(&id) {
                        goods.items.retain(|g| *g != id);
                    } else {
                        goods.items.push(id);
                    }
                }
                Some(Intent::Trade(TradeInput::Offer {
                    trade: trade.id,
                    goods,
                }))
            }
            KeyCode::Char('a') => Some(Intent::Trade(TradeInput::Accept {
                trade: trade.id,
                phase: trade.phase,
            })),
            KeyCode::Char('x') => {
                self.panel = None;
                Some(Intent::Trade(TradeInput::Cancel { trade: trade.id }))
            }
            _ => None,
        }
    }

    /// A chat line; `/trade NAME` opens a trade with that party member instead, and
    /// `/invite NAME`, `/accept NAME`, `/decline NAME`, `/leave` are party commands.
    fn chat_line(&mut self, text: &str) -> Option<Intent> {
        use game::party::PartyCmd;
        if text.is_empty() {
            return None;
        }
        let mut words = text.splitn(2, ' ');
        let (verb, rest) = (
            words.next().unwrap_or(""),
            words.next().unwrap_or("").trim(),
        );
        let named = |make: fn(String) -> PartyCmd| -> Option<PartyCmd> {
            (!rest.is_empty()).then(|| make(rest.to_owned()))
        };
        let party = match verb {
            "/invite" => Some(named(PartyCmd::Invite)),
            "/accept" => Some(named(PartyCmd::Accept)),
            "/decline" => Some(named(PartyCmd::Decline)),
            "/leave" => Some(Some(PartyCmd::Leave)),
            _ => None,
        };
        match party {
            Some(Some(cmd)) => return Some(Intent::Party(cmd)),
            Some(None) => {
                self.notice = Some(format!("Whom? Type {verb} NAME."));
                return None;
            }
            None => {}
        }
        if let Some(name) = text.strip_prefix("/trade") {
            let name = name.trim();
            // Names are unique in a world without regard to case; more than one match would be
            // a host that does not keep them so, and nobody is picked at random.
            let key = game::text::name_key(name);
            let matches: Vec<_> = self
                .view
                .party
                .iter()
                .filter(|m| !m.is_you && game::text::name_key(&m.name) == key)
                .collect();
            if matches.len() > 1 {
                self.notice = Some(format!("More than one player is called {name:?}."));
                return None;
            }
            return match matches.first().and_then(|m| m.entity) {
                Some(e) => {
                    self.panel = Some(Panel::Trade { selected: 0 });
                    Some(Intent::Trade(TradeInput::Open {
                        with: game::EntityId(e),
                    }))
                }
                None => {
                    self.notice = Some(format!("Nobody called {name:?} can trade now."));
                    None
                }
            };
        }
        Some(Intent::Chat(text.to_owned()))
    }
}
