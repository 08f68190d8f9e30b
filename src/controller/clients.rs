//! ECS clients of the controller: one per region and role (an
//! environment's `roleArn`, which may be in another account), kept for the
//! controller's life so task definitions are described once per ARN, ever. [`Connect`]
//! makes them; the controller's tests connect to the in-memory fake.

use super::state::ControllerState;
use crate::ecs::session::Reach;
use crate::ecs::{AwsClient, AwsError, Ecs, EcsClient, Lookups};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// Makes an ECS client for a region and role.
pub trait Connect: Send + Sync + 'static {
    /// The client.
    type Ecs: Ecs + Lookups + Clone + 'static;
    /// A client that reaches `reach` (its region, as its role).
    fn connect(&self, reach: &Reach) -> impl Future<Output = Result<Self::Ecs, AwsError>> + Send;
}

/// Real clients from the standard AWS config.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdkConnect;

impl Connect for SdkConnect {
    type Ecs = EcsClient;
    async fn connect(&self, reach: &Reach) -> Result<EcsClient, AwsError> {
        EcsClient::connect_to(reach).await
    }
}

/// The clients made so far, by region and role.
pub struct ClientCache<C: Connect> {
    connect: C,
    clients: tokio::sync::Mutex<HashMap<Reach, C::Ecs>>,
    state: Arc<ControllerState>,
}

impl<C: Connect> ClientCache<C> {
    /// A cache whose clients' call counts feed `state`'s metrics.
    pub fn new(connect: C, state: Arc<ControllerState>) -> Self {
        ClientCache {
            connect,
            clients: tokio::sync::Mutex::default(),
            state,
        }
    }

    /// The client that reaches `reach`, made on first use (a failure to
    /// make one is not kept: the next cycle tries again).
    pub async fn get(&self, reach: &Reach) -> Result<C::Ecs, AwsError> {
        let mut clients = self.clients.lock().await;
        if let Some(ecs) = clients.get(reach) {
            return Ok(ecs.clone());
        }
        let ecs = self.connect.connect(reach).await?;
        self.state.track_calls(ecs.calls());
        clients.insert(reach.clone(), ecs.clone());
        Ok(ecs)
    }
}
