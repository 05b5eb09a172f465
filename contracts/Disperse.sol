// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

interface IERC20 {
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// @title Several payments in one transaction (like disperse.app's disperseEther and disperseTokenSimple).
/// @notice For tokens the caller approves this contract first; every payment is a transferFrom from an inner call,
/// so the Transfer logs belong to a transaction whose `to` is this contract, not the token. For the chain's coin
/// the caller sends the total as the call's value; whatever is left over goes back to the caller.
contract Disperse {
    function disperseEther(address payable[] calldata recipients, uint256[] calldata values) external payable {
        require(recipients.length == values.length, "Disperse: length mismatch");
        for (uint256 i = 0; i < recipients.length; i++) {
            recipients[i].transfer(values[i]);
        }
        uint256 left = address(this).balance;
        if (left > 0) {
            payable(msg.sender).transfer(left);
        }
    }

    function disperseToken(IERC20 token, address[] calldata recipients, uint256[] calldata values) external {
        require(recipients.length == values.length, "Disperse: length mismatch");
        for (uint256 i = 0; i < recipients.length; i++) {
            require(token.transferFrom(msg.sender, recipients[i], values[i]), "Disperse: transfer failed");
        }
    }
}
