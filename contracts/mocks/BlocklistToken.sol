// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test-only 6-decimal token with a blocklist (USDC style): transfers to a blocked address revert,
///         so a push to it fails and must become a credit.
contract BlocklistToken is ERC20 {
    mapping(address => bool) public blocked;

    error BlocklistBlocked(address account);

    constructor() ERC20("Blocklist USD", "bUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to]) revert BlocklistBlocked(to);
        super._update(from, to, value);
    }
}
