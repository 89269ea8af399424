//! The authorization matrix: every route x every kind of caller x every state of
//! the invitation, each with the one status it must answer. Table-driven: the
//! expectation is a function of the cell, and the test lists every cell that
//! differs, so a change in who may do what shows up as named cells.

use chrono::TimeDelta;
use serde_json::json;

use integration_tests::{Call, User, World};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Owner,
    Administrator,
    Member,
    /// The owner of another team: a manager, just not of this team.
    OtherTeamsOwner,
    Anonymous,
    /// Signed in with the invited address.
    Invitee,
    /// Signed in, not a member, not the invitee.
    Stranger,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Accepted,
    Declined,
    Withdrawn,
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Invite,
    List,
    Resend,
    Withdraw,
    /// IDOR: this team's invitation id under the caller's own team's URL.
    WithdrawUnderOtherTeam,
    Preview,
    Accept,
    /// From the invitee's own list (GET /me/invitations), without the link.
    AcceptWithoutLink,
    Decline,
}

const WHO: [Who; 7] = [
    Who::Owner,
    Who::Administrator,
    Who::Member,
    Who::OtherTeamsOwner,
    Who::Anonymous,
    Who::Invitee,
    Who::Stranger,
];
const STATES: [State; 5] = [State::Open, State::Accepted, State::Declined, State::Withdrawn, State::Expired];
const ROUTES: [Route; 9] = [
    Route::Invite,
    Route::List,
    Route::Resend,
    Route::Withdraw,
    Route::WithdrawUnderOtherTeam,
    Route::Preview,
    Route::Accept,
    Route::AcceptWithoutLink,
    Route::Decline,
];

/// What answering or withdrawing gives in each state, when allowed at all.
fn by_state(state: State, ok: u16) -> u16 {
    match state {
        State::Open => ok,
        State::Expired => 410,
        _ => 409,
    }
}

fn expected(route: Route, who: Who, state: State) -> u16 {
    use Who::*;
    match (route, who) {
        (_, Anonymous) if !matches!(route, Route::Preview | Route::Decline) => 401,
        (Route::Invite, Owner | Administrator) => 201,
        (Route::Invite, _) => 403,
        (Route::List, Owner | Administrator | Member) => 200,
        // Having accepted, the invitee is a member.
        (Route::List, Invitee) if state == State::Accepted => 200,
        (Route::List, _) => 403,
        // The permission is checked before anything about the invitation is told.
        // Expired, a resend renews it (open again).
        (Route::Resend, Owner | Administrator) if state == State::Expired => 200,
        (Route::Resend, Owner | Administrator) => by_state(state, 200),
        (Route::Resend, _) => 403,
        (Route::Withdraw, Owner | Administrator) => by_state(state, 200),
        (Route::Withdraw, _) => 403,
        // A manager of the other team: that team has no such invitation.
        (Route::WithdrawUnderOtherTeam, OtherTeamsOwner) => 404,
        (Route::WithdrawUnderOtherTeam, _) => 403,
        // The link is the credential; preview shows any state.
        (Route::Preview, _) => 200,
        (Route::Accept, Invitee) => by_state(state, 200),
        // Another account: refused while open (and it stays open), else the state.
        (Route::Accept, _) => by_state(state, 403),
        (Route::AcceptWithoutLink, Invitee) => by_state(state, 200),
        // Without the link, someone else's invitation does not exist for them.
        (Route::AcceptWithoutLink, _) => 404,
        (Route::Decline, _) => by_state(state, 200),
    }
}

struct Cell {
    route: Route,
    who: Who,
    id: String,
    token: String,
    invitee: User,
    n: usize,
}

fn caller(w: &World, who: Who, invitee: &User) -> Option<User> {
    match who {
        Who::Owner => Some(w.owner.clone()),
        Who::Administrator => Some(w.admin.clone()),
        Who::Member => Some(w.member.clone()),
        Who::OtherTeamsOwner => Some(w.outsider.clone()),
        Who::Anonymous => None,
        Who::Invitee => Some(invitee.clone()),
        Who::Stranger => Some(User::new(&format!("stranger-{}", w.tag), &w.email("stranger"))),
    }
}

fn call(w: &World, cell: &Cell) -> Call {
    let call = match cell.route {
        Route::Invite => {
            Call::invite(&w.team, json!({"email": w.email(&format!("new{}", cell.n)), "role": "member"}))
        }
        Route::List => Call::list(&w.team),
        Route::Resend => Call::resend(&w.team, &cell.id),
        Route::Withdraw => Call::withdraw(&w.team, &cell.id),
        Route::WithdrawUnderOtherTeam => Call::withdraw(&w.other_team, &cell.id),
        Route::Preview => Call::preview(&cell.id, &cell.token),
        Route::Accept => Call::accept(&cell.id, &cell.token),
        Route::AcceptWithoutLink => Call::accept_without_link(&cell.id),
        Route::Decline => Call::decline(&cell.id, &cell.token),
    };
    match caller(w, cell.who, &cell.invitee) {
        Some(user) => call.by(&user),
        None => call,
    }
}

/// Runs every cell of one state in a world of its own (expiry moves its clock).
async fn run_state(state: State) -> (usize, Vec<String>) {
    let w = World::new().await;
    let mut cells = Vec::new();
    for route in ROUTES {
        for who in WHO {
            let n = cells.len();
            let email = w.email(&format!("c{n}"));
            let invitee = User::new(&format!("invitee{n}-{}", w.tag), &email);
            let (id, token) = w.invited(&email, "member").await;
            let moved = match state {
                State::Open | State::Expired => 200,
                State::Accepted => w.accept(&invitee, &id, &token).await.status,
                State::Declined => w.decline(None, &id, &token).await.status,
                State::Withdrawn => w.withdraw(&w.owner, &id).await.status,
            };
            assert_eq!(moved, 200, "setting up {state:?}");
            cells.push(Cell { route, who, id, token, invitee, n });
        }
    }
    // Past the resend cooldown, so that a resend's answer depends on the state alone.
    w.clock.advance(TimeDelta::seconds(60));
    if state == State::Expired {
        w.clock.advance(TimeDelta::days(7) + TimeDelta::seconds(1));
    }
    let mut wrong = Vec::new();
    for cell in &cells {
        let resp = w.call(call(&w, cell)).await;
        let want = expected(cell.route, cell.who, state);
        if resp.status != want {
            wrong.push(format!(
                "{:?} by {:?} on {state:?}: {} (expected {want}) {:.200}",
                cell.route,
                cell.who,
                resp.status,
                resp.body.to_string()
            ));
        }
        // Whoever may not act leaves no trace: the invitation is as it was.
        if want >= 400
            && matches!(
                cell.route,
                Route::Resend | Route::Withdraw | Route::WithdrawUnderOtherTeam | Route::Accept
            )
        {
            let after = w.preview(&cell.id, &cell.token).await;
            let status = match state {
                State::Open => "open",
                State::Accepted => "accepted",
                State::Declined => "declined",
                State::Withdrawn => "withdrawn",
                State::Expired => "expired",
            };
            if after.body["status"] != status {
                wrong.push(format!(
                    "{:?} by {:?} on {state:?} changed it to {}",
                    cell.route, cell.who, after.body["status"]
                ));
            }
        }
    }
    (cells.len(), wrong)
}

#[tokio::test]
async fn every_route_caller_and_state_answers_as_the_matrix_says() {
    let mut cells = 0;
    let mut wrong = Vec::new();
    for state in STATES {
        let (n, w) = run_state(state).await;
        cells += n;
        wrong.extend(w);
    }
    assert_eq!(cells, ROUTES.len() * WHO.len() * STATES.len());
    assert!(wrong.is_empty(), "{} of {cells} cells differ:\n{}", wrong.len(), wrong.join("\n"));
    println!("authorization matrix: {cells} cells");
}
